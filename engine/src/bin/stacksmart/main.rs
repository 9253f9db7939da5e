//! `stacksmart`: the engine from the command line. Each subcommand lives in its own module
//! and returns the text to print, or an error naming what was wrong.
//!
//! ```text
//! stacksmart detect-snapshot SNAPSHOT.json   # page snapshot (docs/snapshot.md) → detection JSON
//! stacksmart detect --url URL PAGE.html[.gz]  # saved page → prediction row (or null)
//! stacksmart snapshot --url URL PAGE.html[.gz] # saved page → its page snapshot
//! stacksmart detect-batch DIR                 # labelled page set → {KEY: prediction}
//! stacksmart eval DIR PREDICTIONS.json [--json]  # per-field precision / recall / F1
//! stacksmart to-predictions PRODUCTS.json     # stored products → prediction rows
//! stacksmart price [--hint H] TEXT            # price text → {amount, currency, …}
//! stacksmart offer --jsonl                    # offer texts → structured offers, one per line
//! stacksmart stack REQUEST.json [--explain]   # best offer stack (docs/engine-api.md)
//! stacksmart score HISTORY.json               # deal score and its components (docs/score.md)
//! ```

use std::process::ExitCode;

mod detect;
mod detect_batch;
mod detect_snapshot;
mod eval;
mod offer;
mod price;
mod score;
mod snapshot;
mod stack;
mod to_predictions;

const USAGE: &str = "usage:
  stacksmart detect-snapshot SNAPSHOT.json
  stacksmart detect --url URL PAGE.html[.gz]
  stacksmart snapshot --url URL PAGE.html[.gz]
  stacksmart detect-batch DIR
  stacksmart eval DIR PREDICTIONS.json [--json]
  stacksmart to-predictions PRODUCTS.json
  stacksmart price [--hint DOMAIN|LOCALE|CODE] TEXT | price --jsonl
  stacksmart offer --jsonl
  stacksmart stack REQUEST.json [--explain]
  stacksmart score HISTORY.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "detect-snapshot" => detect_snapshot::run(rest),
        "detect" => detect::run(rest),
        "snapshot" => snapshot::run(rest),
        "detect-batch" => detect_batch::run(rest),
        "eval" => eval::run(rest),
        "to-predictions" => to_predictions::run(rest),
        "price" => price::run(rest),
        "offer" => offer::run(rest),
        "stack" => stack::run(rest),
        "score" => score::run(rest),
        "-h" | "--help" | "help" => Ok(USAGE.to_owned()),
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(out) => {
            if !out.is_empty() {
                println!("{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("stacksmart: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--url URL PAGE` in either order, as `detect` and `snapshot` take them.
fn url_and_page(args: &[String]) -> Option<(&str, &str)> {
    match args {
        [flag, url, page] | [page, flag, url] if flag == "--url" => Some((url, page)),
        _ => None,
    }
}
