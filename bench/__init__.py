"""The read-path benchmark (`make bench`); see bench/README.md."""
