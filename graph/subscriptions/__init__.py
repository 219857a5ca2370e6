"""Subscriptions (docs/api.md, "Subscriptions"): live job state over graphql-transport-ws, fed by Redis pub/sub."""
