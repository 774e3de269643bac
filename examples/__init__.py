"""Demo application servers on kurento.client; see examples/README.md."""
