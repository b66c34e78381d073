"""LLM preparation: tokenizers and tiny causal LMs for the mini recipes (stage 6)."""
