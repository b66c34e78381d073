"""espnet_mtasr: an ESPnet plugin for multi-talker ASR with large language models."""

__version__ = "0.1.0"
