"""HttpPostEndpoint and our HttpGetEndpoint: engine and HTTP round trips."""
