"""Hydra recipes shipped with medrlvr (configuration only; importable as ``pkg://recipes``)."""
