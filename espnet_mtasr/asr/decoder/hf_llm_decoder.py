"""LLM decoder: a Hugging Face causal LM reading projected speech.

Papers: LLM-based SOT, "Advancing Multi-talker ASR Performance with Large Language Models"
(arXiv 2408.17431); SOP-MT-ASR, "Serialized Output Prompting for Large Language Model-based
Multi-Talker Speech Recognition" (arXiv 2509.04488); encoder-only MT-ASR (the LLM as a
training-only teacher), "Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR
with Talker-Count Routing" (arXiv 2603.10587).

Prompt layout for utterance ``b`` (one sequence of LLM input embeddings)::

    [BOS] prompt_before <speech_b> prompt_after [sop_prefix <SOP_b>] answer_prefix | target </s>

(text parts are tokenised once; ``<speech_b>`` is the projected encoder output;
``<SOP_b>`` the SOP draft's token ids; the target is teacher-forced in training)

Prefixes are LEFT-padded to a common length (so decoding with a KV cache appends to
every row at the same position) and targets RIGHT-padded; ``position_ids`` follow the
attention mask, so padding never shifts a row's positions.

Vocabulary. The LLM families use ESPnet's ``token_type: hugging_face`` with the LLM's
tokenizer (``bpemodel`` = the tokenizer folder) and a token list exported from it, so
ESPnet's token ids ARE the tokenizer's ids; ``vocab_size`` (= len(token list)) must equal
``len(tokenizer)``. The ``added_tokens`` (``<sc>``, speaker tags) must already be in the
tokenizer (stage 6 adds them). Their input embeddings and output rows are separate
trainable parameters (``added_embed``, ``added_head``), so a frozen LLM still learns them
and the LLM's own embedding matrix is never resized: logits are the LLM's over the first
``min(V_llm, V)`` ids, with the added ids' columns replaced by ``added_head``.

Trainable parts: the projector, the added-token rows, LoRA adapters (``lora_rank > 0``,
injected with peft into ``lora_target_modules``) and, with ``freeze_llm: false``, the LLM.
``save_trainable_only: true`` drops the frozen LLM weights from ``state_dict()``; loading
such a state dict fills them back from the loaded LLM, so ESPnet's strict loading works
(resume, ``--init_param``, packed models) without LoRA key mismatches. It is refused when
the loaded frozen weights differ from ``llm_path``'s (they would be lost at saving). A
state dict of an LLM trained without LoRA (plain keys) loads into a LoRA decoder: each
weight goes to its ``base_layer`` key, so LoRA can be stacked on a fine-tuned LLM.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from espnet2.asr.decoder.abs_decoder import AbsDecoder
from typeguard import typechecked

from espnet_mtasr.asr.decoder.llm_projector import LLMProjector
from espnet_mtasr.asr.decoder.repetition import find_repetition_loop
from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.local_model import check_local_hf_folder
from espnet_mtasr.utils.masks import non_pad_mask

DEFAULT_PROMPT_BEFORE = "Speech:"
DEFAULT_PROMPT_AFTER = (
    "\nTranscribe every talker in order of start time; separate talkers with <sc>."
)
DEFAULT_SOP_PREFIX = "\nDraft:"
DEFAULT_ANSWER_PREFIX = "\nTranscript:"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


class HFLLMDecoder(AbsDecoder):
    """HF causal LM + speech projector + optional LoRA, with batched KV-cache decoding.

    Args:
        vocab_size: ``V``, injected (= len(token list) = len(tokenizer)).
        encoder_output_size: ``D``, injected.
        llm_path: a local HF causal-LM folder (LLaMA / Qwen2 / any ``AutoModelForCausalLM``);
            nothing is downloaded.
        tokenizer_path: the tokenizer folder (with the added tokens); ``None`` = ``llm_path``.
        added_tokens: tokens the LLM did not know (``<sc>``, speaker tags).
        prompt_before / prompt_after / sop_prefix / answer_prefix: the prompt's text parts.
        add_bos: start the prompt with the tokenizer's BOS token (when it has one).
        projector_stack / projector_hidden / projector_activation: see :class:`LLMProjector`.
        freeze_llm: keep the LLM's own weights fixed (LoRA and added rows still train).
        lora_rank: LoRA rank (0 = no LoRA).
        lora_alpha / lora_dropout / lora_target_modules: peft ``LoraConfig`` values.
        lora_adapter_name: the peft adapter name (part of the state-dict keys).
        frozen_lora_adapters: earlier adapters (same rank / alpha / targets) injected
            before ``lora_adapter_name``: they stay active but frozen, and their weights
            come from ``--init_param`` of the stage that trained them. SOP-MT-ASR stage C
            adds a new adapter this way on top of stage A's.
        save_trainable_only: leave frozen LLM weights out of ``state_dict()``.
        dtype: the LLM's weight dtype (``float32``, ``bfloat16``, ``float16``).
    """

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        encoder_output_size: int,
        llm_path: Optional[str] = None,
        tokenizer_path: Optional[str] = None,
        added_tokens: Sequence[str] = (SC,),
        prompt_before: str = DEFAULT_PROMPT_BEFORE,
        prompt_after: str = DEFAULT_PROMPT_AFTER,
        sop_prefix: str = DEFAULT_SOP_PREFIX,
        answer_prefix: str = DEFAULT_ANSWER_PREFIX,
        add_bos: bool = True,
        projector_stack: int = 2,
        projector_hidden: int = 1024,
        projector_activation: str = "relu",
        freeze_llm: bool = True,
        lora_rank: int = 0,
        lora_alpha: int = 16,
        lora_dropout: float = 0.05,
        lora_target_modules: Optional[List[str]] = None,
        lora_adapter_name: str = "default",
        frozen_lora_adapters: Sequence[str] = (),
        save_trainable_only: bool = False,
        dtype: str = "float32",
    ):
        super().__init__()
        if llm_path is None:
            raise MTASRInputError(
                "decoder hf_llm needs decoder_conf llm_path",
                fix="set decoder_conf.llm_path to a local HF causal-LM folder "
                "(the mini recipes make one in stage 6)",
            )
        if dtype not in DTYPES:
            raise ValueError(f"decoder_conf dtype '{dtype}' is unknown; valid: {', '.join(DTYPES)}")
        if lora_rank < 0:
            raise ValueError(f"decoder_conf lora_rank must be >= 0, got {lora_rank}")
        if frozen_lora_adapters and lora_rank == 0:
            raise ValueError("decoder_conf frozen_lora_adapters needs lora_rank > 0 (their rank)")
        if lora_adapter_name in frozen_lora_adapters:
            raise ValueError(
                f"decoder_conf lora_adapter_name '{lora_adapter_name}' is also in "
                "frozen_lora_adapters: give the new adapter its own name"
            )
        # before the tokenizer, which often lives there
        check_local_hf_folder(llm_path, "decoder_conf llm_path", "causal LM")
        self.llm_path = llm_path
        self.tokenizer_path = tokenizer_path or llm_path
        self.tokenizer = self._load_tokenizer(self.tokenizer_path, tokenizer_path is None)
        if len(self.tokenizer) != vocab_size:
            raise MTASRInputError(
                f"the token list has {vocab_size} tokens but the LLM tokenizer has "
                f"{len(self.tokenizer)}",
                path=self.tokenizer_path,
                fix="use token_type hugging_face with bpemodel = this tokenizer and a token "
                "list exported from it (stage 5 of mtasr.sh)",
            )
        vocab = self.tokenizer.get_vocab()
        missing = [t for t in added_tokens if t not in vocab]
        if missing:
            raise MTASRInputError(
                f"decoder_conf added_tokens {missing} are not in the LLM tokenizer",
                path=self.tokenizer_path,
                fix="re-run stage 6 (it adds them) or add them with tokenizer.add_tokens()",
            )
        self.llm = self._load_llm(llm_path, DTYPES[dtype])
        self.vocab_size = vocab_size
        self.llm_vocab_size = self.llm.get_input_embeddings().num_embeddings
        unknown = [
            t
            for t, i in sorted(vocab.items(), key=lambda kv: kv[1])
            if i >= self.llm_vocab_size and t not in added_tokens
        ]
        if unknown:  # no embedding and no output row: they could never be read or written
            raise MTASRInputError(
                f"tokenizer tokens {unknown[:8]} are past the LLM's {self.llm_vocab_size} "
                f"embeddings and not in decoder_conf added_tokens {list(added_tokens)}",
                path=self.tokenizer_path,
                fix="list every token that stage 6 added in decoder_conf added_tokens",
            )
        self.eos_id = self._require_id("eos")
        pad = self.tokenizer.pad_token_id
        self.pad_id = self.eos_id if pad is None else int(pad)
        self.save_trainable_only = save_trainable_only
        hidden = self.llm.get_input_embeddings().embedding_dim

        # prompt pieces, tokenised once
        bos = self.tokenizer.bos_token_id
        lead = [bos] if add_bos and bos is not None else []
        self.register_buffer("before_ids", self._ids(prompt_before, lead), persistent=False)
        self.register_buffer("after_ids", self._ids(prompt_after), persistent=False)
        self.register_buffer("sop_prefix_ids", self._ids(sop_prefix), persistent=False)
        self.register_buffer("answer_ids", self._ids(answer_prefix), persistent=False)

        # added tokens: own input / output rows
        self.register_buffer(
            "added_ids",
            torch.tensor([vocab[t] for t in added_tokens], dtype=torch.long),
            persistent=False,
        )
        base = self.llm.get_input_embeddings().weight
        self.added_embed = torch.nn.Parameter(
            base.detach().float().mean(0, keepdim=True).repeat(len(added_tokens), 1)
        )
        self.added_head = torch.nn.Parameter(torch.zeros(len(added_tokens), hidden))

        self.projector = LLMProjector(
            encoder_output_size,
            hidden,
            stack=projector_stack,
            hidden_size=projector_hidden,
            activation=projector_activation,
        )
        if freeze_llm:
            self.llm.requires_grad_(False)
        if lora_rank > 0:
            adapters = [*frozen_lora_adapters, lora_adapter_name]
            for name in adapters:
                self._inject_lora(lora_rank, lora_alpha, lora_dropout, lora_target_modules, name)
            self._activate_adapters(adapters, trainable=lora_adapter_name)
        # LoRA weights are always saved (a frozen adapter is a trained one, not the LLM's)
        self._frozen_llm_keys = {
            f"llm.{n}"
            for n, p in self.llm.named_parameters()
            if not p.requires_grad and "lora_" not in n
        }
        # an LLM fine-tuned without LoRA (e.g. SOT stage A with freeze_llm: false) has plain
        # keys; under LoRA the same weight is ``<module>.base_layer.<param>``
        self._plain_to_lora_keys = {
            f"llm.{n.replace('.base_layer.', '.')}": f"llm.{n}"
            for n, _ in self.llm.named_parameters()
            if ".base_layer." in n
        }
        self._register_load_state_dict_pre_hook(self._fill_frozen_llm_weights)

    # ------------------------------------------------------------------ loading
    @staticmethod
    def _load_tokenizer(path: str, same_as_llm: bool):
        from transformers import AutoTokenizer

        option = "llm_path" if same_as_llm else "tokenizer_path"
        check_local_hf_folder(path, f"decoder_conf {option}", "tokenizer", config=False)
        try:
            return AutoTokenizer.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as e:
            raise MTASRInputError(
                f"decoder_conf {option}: no tokenizer could be loaded ({e})", path=path
            ) from e

    @staticmethod
    def _load_llm(path: str, dtype: torch.dtype):
        from transformers import AutoModelForCausalLM

        check_local_hf_folder(path, "decoder_conf llm_path", "causal LM")
        try:
            return AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype)
        except (OSError, ValueError) as e:
            raise MTASRInputError(
                f"decoder_conf llm_path could not be loaded as a causal LM: {e}", path=path
            ) from e

    def _require_id(self, name: str) -> int:
        value = getattr(self.tokenizer, f"{name}_token_id")
        if value is None:
            raise MTASRInputError(
                f"the LLM tokenizer has no {name} token", path=self.tokenizer_path
            )
        return int(value)

    def _ids(self, text: str, lead: Optional[List[int]] = None) -> torch.Tensor:
        ids = list(lead or []) + self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return torch.tensor(ids, dtype=torch.long)

    def _inject_lora(self, rank, alpha, dropout, targets, adapter_name) -> None:
        try:
            from peft import LoraConfig, inject_adapter_in_model
        except ImportError as e:  # pragma: no cover - peft is a base requirement
            raise ImportError("decoder_conf lora_rank > 0 needs peft: pip install peft") from e
        targets = targets or ["q_proj", "k_proj", "v_proj", "o_proj"]
        names = {n.rsplit(".", 1)[-1] for n, _ in self.llm.named_modules()}
        unknown = sorted(set(targets) - names)
        if unknown:
            linear = sorted(
                n.rsplit(".", 1)[-1]
                for n, m in self.llm.named_modules()
                if isinstance(m, torch.nn.Linear)
            )
            raise MTASRInputError(
                f"decoder_conf lora_target_modules {unknown} are not modules of the LLM",
                fix=f"choose among its linear layers: {sorted(set(linear))}",
            )
        config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets)
        with warnings.catch_warnings():  # a second adapter is intended (stage C of SOP)
            warnings.filterwarnings("ignore", message="Already found a `peft_config`")
            inject_adapter_in_model(config, self.llm, adapter_name=adapter_name)
        for n, p in self.llm.named_parameters():
            if "lora_" in n:
                p.requires_grad_(True)

    def _activate_adapters(self, adapters: List[str], trainable: str) -> None:
        """Make every adapter active (their outputs add up); train only ``trainable``."""
        from peft.tuners.tuners_utils import BaseTunerLayer

        for module in self.llm.modules():
            if isinstance(module, BaseTunerLayer):
                module.set_adapter(adapters)  # peft marks active adapters trainable
        for n, p in self.llm.named_parameters():
            if "lora_" in n:
                # float32 adapters on a bf16/fp16 LLM: small Adam updates would round away
                p.data = p.data.float()
                p.requires_grad_(f".{trainable}." in n)

    def reload_pretrained_parameters(self) -> None:
        """Re-load the LLM's pretrained weights after ESPnet's ``--init`` (LoRA kept)."""
        pretrained = self._load_llm(self.llm_path, next(self.llm.parameters()).dtype)
        source = pretrained.state_dict()
        with torch.no_grad():
            for name, tensor in self.llm.state_dict().items():
                key = name.replace(".base_layer.", ".")
                if "lora_" not in name and key in source:
                    tensor.copy_(source[key])

    # ---------------------------------------------------------- state dict (trainable only)
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        out = super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
        if self.save_trainable_only:
            for key in [k for k in out if k.startswith(prefix)]:
                if key[len(prefix) :] in self._frozen_llm_keys:
                    del out[key]
        return out

    def _fill_frozen_llm_weights(self, state_dict, prefix, *args, **kwargs) -> None:
        """Before loading: map an LLM trained without LoRA onto the LoRA ``base_layer``
        keys, refuse frozen weights that ``save_trainable_only`` would not save, and take
        frozen LLM weights that the state dict lacks from ``self``."""
        for plain, lora in self._plain_to_lora_keys.items():
            if prefix + plain in state_dict:
                state_dict[prefix + lora] = state_dict.pop(prefix + plain)
        own = dict(self.llm.named_parameters())
        for key in self._frozen_llm_keys:
            full = prefix + key
            mine = own[key[len("llm.") :]]
            if full not in state_dict:
                state_dict[full] = mine.detach()
            elif self.save_trainable_only and not torch.equal(
                state_dict[full].to(mine.dtype), mine.detach()
            ):
                raise MTASRInputError(
                    f"decoder_conf save_trainable_only: true, but the loaded state sets the "
                    f"frozen LLM weight {key} to values that differ from llm_path's "
                    f"({self.llm_path}); saved checkpoints would silently lose them",
                    fix="set decoder_conf save_trainable_only: false when the LLM was "
                    "fine-tuned in an earlier stage (e.g. stage A with freeze_llm: false)",
                )

    # ------------------------------------------------------------------ embeddings
    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """``(...)`` token ids (``-1`` allowed: padding) -> ``(..., D_llm)`` embeddings."""
        ids = ids.clamp(min=0)
        table = self.llm.get_input_embeddings()
        is_added = (ids[..., None] == self.added_ids).any(-1)
        base = table(ids.masked_fill(is_added | (ids >= self.llm_vocab_size), self.pad_id))
        if is_added.any():
            which = (ids[..., None] == self.added_ids).float().argmax(-1)  # (...)
            base = torch.where(is_added[..., None], self.added_embed[which].to(base.dtype), base)
        return base

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(B, L, D_llm)`` hidden states -> ``(B, L, V)`` logits over the token list."""
        base = self.llm.get_output_embeddings()(hidden).float()
        n = min(self.llm_vocab_size, self.vocab_size)
        if base.size(-1) != self.vocab_size:
            full = base.new_full((*base.shape[:-1], self.vocab_size), float("-inf"))
            full[..., :n] = base[..., :n]
            base = full
        added = hidden.float() @ self.added_head.t()  # (B, L, n_added)
        return base.index_copy(-1, self.added_ids, added)

    # ------------------------------------------------------------------ prompt
    def build_prefix(
        self,
        hs_pad: torch.Tensor,
        hlens: torch.Tensor,
        sop: Optional[Sequence[Sequence[int]]] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Prompt embeddings, LEFT-padded.

        Args:
            hs_pad: encoder output, ``(B, T, D)``.
            hlens: valid frames, ``(B,)``.
            sop: per-utterance SOP token ids (``None``: no SOP part in the prompt).

        Returns:
            embeds ``(B, P, D_llm)`` and mask ``(B, P)`` (1 = real), right-aligned.
        """
        speech, speech_lens = self.projector(hs_pad, hlens)  # (B, T/k, D_llm)
        dtype = self.llm.get_input_embeddings().weight.dtype
        before = self.embed_tokens(self.before_ids)
        after = self.embed_tokens(self.after_ids)
        answer = self.embed_tokens(self.answer_ids)
        rows = []
        for b in range(hs_pad.size(0)):
            parts = [before, speech[b, : int(speech_lens[b])].to(dtype), after]
            if sop is not None:
                sop_ids = torch.as_tensor(list(sop[b]), dtype=torch.long, device=hs_pad.device)
                parts += [self.embed_tokens(torch.cat([self.sop_prefix_ids, sop_ids]))]
            parts.append(answer)
            rows.append(torch.cat(parts, dim=0))
        longest = max(r.size(0) for r in rows)
        embeds = hs_pad.new_zeros(len(rows), longest, rows[0].size(-1), dtype=dtype)
        mask = torch.zeros(len(rows), longest, dtype=torch.long, device=hs_pad.device)
        for b, r in enumerate(rows):
            embeds[b, longest - r.size(0) :] = r
            mask[b, longest - r.size(0) :] = 1
        return embeds, mask

    def _run(self, embeds, mask, positions, cache=None):
        out = self.llm.get_decoder()(
            inputs_embeds=embeds,
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=cache is not None,
        )
        return out.last_hidden_state, out.past_key_values

    # ------------------------------------------------------------------ training
    def forward(
        self,
        hs_pad: torch.Tensor,
        hlens: torch.Tensor,
        ys_pad: torch.Tensor,
        ys_lens: torch.Tensor,
        sop: Optional[Sequence[Sequence[int]]] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced logits for the target and its end.

        Args:
            hs_pad: encoder output, ``(B, T, D)``.
            hlens: ``(B,)``.
            ys_pad: target token ids WITHOUT sos/eos, ``(B, L)``, ``-1`` padded.
            ys_lens: ``(B,)``.
            sop: optional per-utterance SOP ids.

        Returns:
            logits ``(B, L + 1, V)``: position ``j < ys_lens[b]`` predicts ``ys_pad[b, j]``
            and position ``ys_lens[b]`` predicts EOS; and ``ys_lens + 1``.
        """
        prefix, pmask = self.build_prefix(hs_pad, hlens, sop)  # (B, P, D_llm)
        targets = self.embed_tokens(ys_pad).to(prefix.dtype)  # (B, L, D_llm)
        tmask = non_pad_mask(ys_lens, ys_pad.size(1)).long()
        embeds = torch.cat([prefix, targets], dim=1)
        mask = torch.cat([pmask, tmask], dim=1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        hidden, _ = self._run(embeds, mask, positions)
        p = prefix.size(1)
        return self.logits(hidden[:, p - 1 :]), ys_lens + 1

    def targets_with_eos(self, ys_pad: torch.Tensor, ys_lens: torch.Tensor) -> torch.Tensor:
        """``(B, L)`` targets -> ``(B, L + 1)`` with EOS at ``ys_lens[b]``, ``-1`` after."""
        out = torch.nn.functional.pad(ys_pad, (0, 1), value=-1)
        return out.scatter(1, ys_lens[:, None], self.eos_id)

    # ------------------------------------------------------------------ decoding
    @torch.no_grad()
    def generate(
        self,
        hs_pad: torch.Tensor,
        hlens: torch.Tensor,
        max_new_tokens: torch.Tensor,
        sop: Optional[Sequence[Sequence[int]]] = None,
        beam_size: int = 1,
        length_penalty: float = 0.0,
        repeat_max_period: int = 8,
        repeat_min_count: int = 4,
    ) -> List[Tuple[List[int], float]]:
        """Batched decoding with a KV cache: greedy (``beam_size`` 1) or beam search.

        Args:
            hs_pad / hlens / sop: as in :meth:`forward`.
            max_new_tokens: per-utterance token budget, ``(B,)`` (the model ties it to the
                input duration).
            beam_size: beams per utterance.
            length_penalty: final score = log-prob + ``length_penalty`` * length.
            repeat_max_period / repeat_min_count: the repetition guard
                (:func:`find_repetition_loop`): a hypothesis ending in a block of up to
                ``repeat_max_period`` tokens repeated ``repeat_min_count`` times is ended
                and cut back to one copy.

        Returns:
            per utterance, the best ``(token ids without EOS, score)``.
        """
        bsz = hs_pad.size(0)
        prefix, pmask = self.build_prefix(hs_pad, hlens, sop)
        positions = (pmask.cumsum(-1) - 1).clamp(min=0)
        hidden, cache = self._run(prefix, pmask, positions, cache=self._new_cache())
        k = beam_size
        if k > 1:  # (B, ...) -> (B*k, ...), beam j of utterance b at row b*k + j
            cache.batch_repeat_interleave(k)
            hidden = hidden.repeat_interleave(k, 0)
            pmask = pmask.repeat_interleave(k, 0)
            positions = positions.repeat_interleave(k, 0)
        logp = torch.log_softmax(self.logits(hidden[:, -1:])[:, 0], dim=-1)  # (B*k, V)
        scores = torch.zeros(bsz, k, device=hs_pad.device)
        scores[:, 1:] = float("-inf")  # all beams start identical: keep one
        hyps: List[List[int]] = [[] for _ in range(bsz * k)]
        finished: List[List[Tuple[List[int], float]]] = [[] for _ in range(bsz)]
        done = torch.zeros(bsz, dtype=torch.bool)
        budget = max_new_tokens.cpu().clamp(min=1)
        mask, last_pos = pmask, positions[:, -1]
        vocab = logp.size(-1)
        for step in range(int(budget.max())):
            cand = (scores.view(-1, 1) + logp).view(bsz, k * vocab)  # (B, k*V)
            top, idx = cand.topk(2 * k if k > 1 else 1, dim=-1)
            new_scores = torch.full((bsz, k), float("-inf"), device=hs_pad.device)
            src = torch.arange(bsz * k).view(bsz, k)  # row of each new beam's parent
            new_tok = torch.full((bsz, k), self.eos_id, dtype=torch.long)
            new_hyps: List[List[int]] = [[] for _ in range(bsz * k)]
            for b in range(bsz):
                if done[b]:
                    continue
                last_step = step + 1 >= int(budget[b])
                opened = 0
                for score, flat in zip(top[b].tolist(), idx[b].tolist()):
                    beam, tok = divmod(flat, vocab)
                    if score == float("-inf"):
                        break
                    hyp = hyps[b * k + beam] + [tok]
                    final = self._finished(hyp, last_step, repeat_max_period, repeat_min_count)
                    if final is not None:
                        finished[b].append((final, score + length_penalty * len(final)))
                    else:
                        new_scores[b, opened] = score
                        src[b, opened] = b * k + beam
                        new_tok[b, opened] = tok
                        new_hyps[b * k + opened] = hyp
                        opened += 1
                    if opened == k:
                        break
                best_open = new_scores[b].max().item()
                best_done = max((s for _, s in finished[b]), default=float("-inf"))
                if opened == 0 or len(finished[b]) >= k:
                    done[b] = True
                elif length_penalty <= 0 and best_done >= best_open:
                    done[b] = True  # scores only fall from here: nothing open can win
            if bool(done.all()):
                break
            scores = new_scores.masked_fill(done.to(new_scores.device)[:, None], float("-inf"))
            hyps = new_hyps
            order = src.view(-1).to(hs_pad.device)
            cache.reorder_cache(order)
            mask = torch.cat([mask[order], mask.new_ones(bsz * k, 1)], dim=1)
            last_pos = last_pos[order] + 1
            embeds = self.embed_tokens(new_tok.view(-1, 1).to(hs_pad.device)).to(prefix.dtype)
            hidden, cache = self._run(embeds, mask, last_pos[:, None], cache)
            logp = torch.log_softmax(self.logits(hidden)[:, 0], dim=-1)
        out = []
        for b in range(bsz):
            if finished[b]:
                out.append(max(finished[b], key=lambda h: h[1]))
            else:
                out.append(([], float("-inf")))
        return out

    def _finished(
        self, hyp: List[int], last_step: bool, max_period: int, min_count: int
    ) -> Optional[List[int]]:
        """The final token ids if ``hyp`` (its newest token last) ends here: at EOS (dropped),
        in a repetition loop (cut back to one copy) or at its budget; else ``None``."""
        cut = None
        if hyp[-1] != self.eos_id:
            cut = find_repetition_loop(hyp, max_period, min_count)
        if hyp[-1] != self.eos_id and cut is None and not last_step:
            return None
        final = hyp[:cut] if cut is not None else hyp
        return final[:-1] if final and final[-1] == self.eos_id else final

    def _new_cache(self):
        from transformers import DynamicCache

        return DynamicCache(config=self.llm.config)

    # ESPnet's AbsDecoder also wants a scorer interface for its BeamSearch; the LLM
    # families decode with :meth:`generate` instead.
    def score(self, *args: Any, **kwargs: Any) -> Dict[str, Any]:  # pragma: no cover
        raise NotImplementedError("decoder hf_llm decodes with generate(), not ESPnet's BeamSearch")
