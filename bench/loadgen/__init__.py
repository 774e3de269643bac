"""Browser-free WebRTC load generator: pre-encoded VP8 + Opus out, frames counted back."""
