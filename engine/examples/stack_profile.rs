//! Runs the full stack API call on the realistic example N times (default 20,000), for
//! profilers: timings on a shared machine are noisy, instruction counts are not.
//!
//! ```sh
//! cargo build --release --example stack_profile -p stacksmart-engine
//! valgrind --tool=callgrind target/release/examples/stack_profile 300   # instructions per call = total / 300
//! perf record -g target/release/examples/stack_profile
//! ```

use std::time::Instant;

fn main() -> Result<(), String> {
    let request = engine::stack::parse_request(include_str!(
        "../../examples/stack-realistic-20-offers.json"
    ))
    .map_err(|e| e.to_string())?;
    let runs: u32 = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("runs: {e}"))?,
        None => 20_000,
    };
    let start = Instant::now();
    let mut alternatives = 0;
    for _ in 0..runs.max(1) {
        let result = engine::stack::optimize(&request).map_err(|e| e.to_string())?;
        alternatives += result.alternatives.len();
    }
    println!(
        "{runs} calls, {:?} per call ({alternatives} alternatives in all)",
        start.elapsed() / runs.max(1)
    );
    Ok(())
}
