"""Plumbing every layer may use: the clock, logging, the data folders."""
