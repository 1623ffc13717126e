"""Renderers: each turns library data (values, traces, graphs) into one format."""
