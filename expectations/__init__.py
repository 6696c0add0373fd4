"""Great Expectations suites (one per warehouse entity) and the runner that gates publishing."""
