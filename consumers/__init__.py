"""Runs the relay and the projections from a source: the notification log or Kafka."""
