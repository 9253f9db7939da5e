//! The full-sync timing of `scripts/bench.sh`: one client, one keep-alive HTTP/1.1 connection
//! on loopback, reading a whole account from `since=0` page by page (following `cursor` while
//! `more`) and parsing every page as a client must (records counted, cursor and `more` read).
//! It measures the wall time from the first request to the last page parsed: the server's
//! work, Postgres', loopback and a Rust client's parsing, without the python client's own
//! overhead (the python timing in bench.sh is kept for comparison with older figures).
//!
//! ```sh
//! cargo run --release -p stacksmart-sync-server --example full_sync_bench -- \
//!     http://127.0.0.1:8787 <token> <expected records> [runs] [page sizes…]
//! ```

use std::time::{Duration, Instant};

use serde::de::IgnoredAny;
use serde::Deserialize;

#[derive(Deserialize)]
struct Page {
    changes: Vec<IgnoredAny>,
    cursor: i64,
    more: bool,
}

async fn full_sync(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    limit: u32,
) -> Result<usize, Box<dyn std::error::Error>> {
    let (mut since, mut records) = (0i64, 0usize);
    loop {
        let resp = http
            .get(format!(
                "{base}/v1/records/changes?since={since}&limit={limit}"
            ))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
        let page: Page = serde_json::from_slice(&resp.bytes().await?)?;
        records += page.changes.len();
        since = page.cursor;
        if !page.more {
            return Ok(records);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let max = sorted.len().saturating_sub(1);
    let rank = (max as f64 * p).round();
    // The rank is a small non-negative integer: truncation is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = (rank as usize).min(max);
    sorted.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(token), Some(expected)) = (args.first(), args.get(1), args.get(2)) else {
        return Err("usage: full_sync_bench BASE TOKEN EXPECTED_RECORDS [RUNS] [PAGE…]".into());
    };
    let expected: usize = expected.parse()?;
    let runs: usize = args.get(3).map_or(Ok(1000), |r| r.parse())?;
    let limits: Vec<u32> = if args.len() > 4 {
        args[4..]
            .iter()
            .map(|l| l.parse())
            .collect::<Result<_, _>>()?
    } else {
        vec![100, 300]
    };
    // One connection, kept alive between requests and runs.
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()?;
    for limit in limits {
        for _ in 0..20 {
            full_sync(&http, base, token, limit).await?;
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let n = full_sync(&http, base, token, limit).await?;
            times.push(start.elapsed());
            if n != expected {
                return Err(format!("full sync read {n} records, expected {expected}").into());
            }
        }
        times.sort();
        println!(
            "full sync of {expected} records, pages of {limit:<3} (1 Rust client, {runs} runs): p50 {:.2} ms, p99 {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    Ok(())
}
