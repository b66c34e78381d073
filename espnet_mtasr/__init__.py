"""espnet_mtasr: an ESPnet plugin for multi-talker ASR with large language models."""

from espnet_mtasr.utils.espnet_compat import quiet_espnet_import_notices

__version__ = "0.1.0"

# ESPnet's import-time notices (flash_attn, nltk downloads) off the mains' stdout
quiet_espnet_import_notices()
