"""The benchmark behind `make bench`: generate a large incident history into a separate
database, then time real HTTP requests against `itsm serve` on 127.0.0.1.

See docs/performance.md for the figures and how to reproduce them."""
