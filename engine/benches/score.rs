//! Deal-score benchmarks (`cargo bench -p stacksmart-engine --bench score`).
//!
//! One product with 1,000 observations over about two years (700 at amazon.com, about one a
//! day, the rest at walmart.com and target.com), page claims and a stack saving: the typed call (`engine::score::score`), the JSON call the wasm shell makes
//! (`score_json`: parse, validate, score) and `compact` on the same history.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use engine::score::*;

const NOW: i64 = sample::NOW_MS;

fn request(n: usize) -> ScoreRequest {
    sample::request(n)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("score");
    for n in [100, 1_000] {
        let req = request(n);
        assert!(score(&req).expect("valid").score.is_some());
        let json = serde_json::to_string(&req).expect("serialise");
        g.bench_with_input(BenchmarkId::new("score", n), &req, |b, r| {
            b.iter(|| score(black_box(r)).expect("ok"))
        });
        g.bench_with_input(BenchmarkId::new("score_json", n), &json, |b, j| {
            b.iter(|| score_json(black_box(j)).expect("ok"))
        });
        let mut h = History::default();
        let key = ProductKey::Gtin("04006381333931".into());
        for o in &req.observations {
            record(&mut h, key.clone(), o.clone()).expect("valid");
        }
        g.bench_with_input(BenchmarkId::new("compact", n), &h, |b, h| {
            b.iter(|| {
                let mut h = h.clone();
                compact(&mut h, NOW, &Limits::default());
                h
            })
        });
    }
    g.finish();
}

criterion_group!(score_benches, benches);
criterion_main!(score_benches);
