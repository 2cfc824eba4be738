/** @portico/testing: what a BFF team's tests need — mock upstreams on loopback, credentials, Redis per test run, a BFF on a free port. */
// mock upstreams, credentials and redis helpers (testing-kit owner: keep this marker line)
// startBff (routing owner: keep this marker line)
