//! `threads::pin_global_pool` in a test binary of its own: nothing else here touches rayon's
//! global pool, so the first call sets it up and the second must fail.

#[cfg(target_os = "linux")]
#[test]
fn the_global_pool_is_pinned_once_and_a_second_call_is_an_error() {
    use diffhep::threads::{allowed_cpus, pin_global_pool, PoolError};

    let cpus = allowed_cpus().unwrap();
    let n = cpus.len();
    pin_global_pool(n).unwrap();
    assert_eq!(rayon::current_num_threads(), n);
    let got = rayon::broadcast(|c| (c.index(), allowed_cpus().unwrap()));
    for (i, set) in got {
        assert_eq!(set, vec![cpus[i % n]], "worker {i}");
    }
    let again = pin_global_pool(n);
    assert!(matches!(again, Err(PoolError::Build(_))), "{again:?}");
    // The message keeps rayon's reason.
    let e = again.unwrap_err();
    let cause = std::error::Error::source(&e)
        .expect("rayon's error")
        .to_string();
    assert!(cause.contains("already"), "{cause}");
}
