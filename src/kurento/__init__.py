"""Kurento Media Server re-implemented in Python on GStreamer."""
