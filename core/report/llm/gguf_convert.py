"""Converting a Hugging Face Llama-family folder to one GGUF file (the ``gguf`` package).

A site that has a model as a Hugging Face folder (imported, so hashed: house rule 7)
can run it with the GGUF engine after :func:`convert_to_gguf` wrote it as a ``.gguf``
file, in F32, F16 or Q8_0 (what the ``gguf`` package quantises itself; llama.cpp's own
quantiser makes the smaller K-quants from the F16 file). The tests and the bundle build
convert their tiny random models with it too, so the file the self-test drafts with is
made by the same code a site would use.

What it converts, as llama.cpp's own ``convert_hf_to_gguf.py`` does for these models:

- architectures ``LlamaForCausalLM`` and ``MistralForCausalLM`` (GGUF ``llama``: the
  query and key projections are permuted from Hugging Face's rotary layout to
  llama.cpp's interleaved one) and ``Qwen2ForCausalLM`` (GGUF ``qwen2``, with the
  attention biases; NeoX rotary layout, no permutation);
- tensor names through the ``gguf`` package's own map (:func:`gguf.get_tensor_name_map`);
  norms and biases stay F32;
- the tokenizer from ``tokenizer.json``: a BPE model with a Metaspace pre-tokenizer
  (SentencePiece-style, ``▁`` for spaces, with the byte-fallback tokens ``<0x00>``…
  ``<0xFF>`` llama.cpp needs) becomes GGUF's ``llama`` tokenizer with each token scored
  by its merge order; a byte-level BPE becomes ``gpt2`` with its merges;
  special tokens are control tokens; a vocabulary shorter than the embedding is padded;
- the chat template (``tokenizer_config.json`` or ``chat_template.jinja``), the special
  token ids and whether a BOS is added.

The heavy packages (torch for bfloat16 tensors, numpy, gguf) are imported when a
conversion runs, never by importing this module.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Final, Literal

from core.report.llm.errors import ModelConfigError, ModelFolderError

logger = logging.getLogger(__name__)

__all__ = ["GGUF_OUTPUT_TYPES", "convert_to_gguf"]

OutputType = Literal["f32", "f16", "q8_0"]
GGUF_OUTPUT_TYPES: Final[tuple[str, ...]] = ("f32", "f16", "q8_0")
# Hugging Face architecture → (GGUF architecture, permute q/k for llama.cpp's rotary layout)
_ARCHITECTURES: Final[Mapping[str, tuple[str, bool]]] = {
    "LlamaForCausalLM": ("llama", True),
    "MistralForCausalLM": ("llama", True),
    "Qwen2ForCausalLM": ("qwen2", False),
}
# A byte-level BPE's pre-tokenizer, as llama.cpp names it, by model type.
_BPE_PRE: Final[Mapping[str, str]] = {"qwen2": "qwen2", "llama": "llama-bpe"}
_BYTE_TOKEN: Final = re.compile(r"<0x[0-9A-F]{2}>")
# Q8_0 quantises blocks of 32 values along a row.
_Q8_BLOCK: Final = 32


def _read_json(path: Path, folder: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelConfigError(folder, f"{path.name} cannot be read as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelConfigError(folder, f"{path.name} is not a JSON object")
    return data


def _permute(weights: Any, n_head: int) -> Any:
    """Hugging Face's rotary halves → llama.cpp's interleaved pairs (per head)."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _tensors(folder: Path) -> Any:
    """(name, float32 numpy array) of every tensor of the safetensors files, in order."""
    import torch  # lazy: bfloat16 tensors need it (numpy has no bfloat16)
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ModelFolderError(str(folder), "no .safetensors weights to convert")
    for file in files:
        with safe_open(str(file), framework="pt") as handle:
            for name in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
                yield name, handle.get_tensor(name).to(torch.float32).numpy()


def _vocabulary(
    folder: Path, vocab_size: int, model_type: str
) -> tuple[str, str, list[str], list[float], list[int], list[str], dict[str, Any]]:
    """(model, pre, tokens, scores, types, merges, tokenizer_config) for the GGUF file."""
    import gguf  # lazy: the gguf package is needed only while converting

    source = str(folder)
    path = folder / "tokenizer.json"
    if not path.is_file():
        raise ModelFolderError(source, "no tokenizer.json: only fast (BPE) tokenizers convert")
    data = _read_json(path, source)
    model = data.get("model") or {}
    if model.get("type") != "BPE":
        raise ModelConfigError(source, f"tokenizer.json is {model.get('type')!r}, not BPE")
    config_path = folder / "tokenizer_config.json"
    tokenizer_config = _read_json(config_path, source) if config_path.is_file() else {}
    vocab: dict[str, int] = dict(model.get("vocab") or {})
    special: set[int] = set()
    for added in data.get("added_tokens") or ():
        vocab.setdefault(added["content"], int(added["id"]))
        if added.get("special"):
            special.add(int(added["id"]))
    by_id = {token_id: token for token, token_id in vocab.items()}
    if max(by_id, default=-1) >= vocab_size:
        raise ModelConfigError(
            source, f"the tokenizer has ids beyond the model's vocabulary of {vocab_size}"
        )
    pre_tokenizer = json.dumps(data.get("pre_tokenizer") or {})
    byte_level = '"ByteLevel"' in pre_tokenizer
    if not byte_level and '"Metaspace"' not in pre_tokenizer:
        raise ModelConfigError(
            source, "tokenizer.json's pre-tokenizer is neither Metaspace nor ByteLevel"
        )
    if not byte_level and not all(f"<0x{value:02X}>" in vocab for value in range(256)):
        # llama.cpp's SentencePiece-style tokenizer turns a character outside the
        # vocabulary into byte tokens, and aborts the process when there are none.
        raise ModelConfigError(
            source,
            "tokenizer.json is a SentencePiece-style BPE without the byte-fallback tokens "
            "<0x00>…<0xFF> that llama.cpp needs",
        )
    token_type = gguf.TokenType
    tokens: list[str] = []
    scores: list[float] = []
    types: list[int] = []
    unk = model.get("unk_token")
    for token_id in range(vocab_size):
        text = by_id.get(token_id)
        if text is None:
            tokens.append(f"[PAD{token_id}]")
            types.append(int(token_type.UNUSED))
        else:
            tokens.append(text)
            if text == unk:
                types.append(int(token_type.UNKNOWN))
            elif not byte_level and _BYTE_TOKEN.fullmatch(text):
                types.append(int(token_type.BYTE))
            elif token_id in special:
                types.append(int(token_type.CONTROL))
            else:
                types.append(int(token_type.NORMAL))
        # A BPE trainer numbers tokens in merge order: earlier merges win.
        scores.append(-float(token_id))
    merges: list[str] = []
    if byte_level:
        for merge in model.get("merges") or ():
            merges.append(merge if isinstance(merge, str) else " ".join(merge))
        return (
            "gpt2",
            _BPE_PRE.get(model_type, "default"),
            tokens,
            scores,
            types,
            merges,
            tokenizer_config,
        )
    return "llama", "default", tokens, scores, types, merges, tokenizer_config


def _chat_template(folder: Path, tokenizer_config: Mapping[str, Any]) -> str:
    template = tokenizer_config.get("chat_template")
    if isinstance(template, str) and template:
        return template
    jinja = folder / "chat_template.jinja"
    return jinja.read_text(encoding="utf-8") if jinja.is_file() else ""


def _token_id(tokenizer_config: Mapping[str, Any], key: str, tokens: list[str]) -> int | None:
    value = tokenizer_config.get(key)
    if isinstance(value, dict):
        value = value.get("content")
    if isinstance(value, str) and value in tokens:
        return tokens.index(value)
    return None


def convert_to_gguf(
    folder: str | PathLike[str],
    output: str | PathLike[str],
    *,
    output_type: OutputType = "f16",
    name: str | None = None,
) -> Path:
    """Write the Hugging Face model in ``folder`` as one GGUF file.

    Parameters
    ----------
    folder : str or PathLike
        ``config.json``, ``tokenizer.json`` (BPE), safetensors weights.
    output : str or PathLike
        The ``.gguf`` file to write (replaced atomically).
    output_type : {"f32", "f16", "q8_0"}
        How the matrices are stored (a matrix whose rows do not split into blocks of
        32 stays F16 under Q8_0); norms and biases are always F32.
    name : str, optional
        ``general.name``; default the folder's name.

    Returns
    -------
    Path
        ``output``. It is not imported: :func:`~core.report.llm.gguf.import_gguf_model`
        copies and hashes it.

    Raises
    ------
    ModelConfigError
        An architecture or tokenizer this converter does not know.
    ModelFolderError
        No weights or no tokenizer.json.
    """
    import gguf  # lazy: the gguf package is needed only while converting
    import numpy as np

    if output_type not in GGUF_OUTPUT_TYPES:
        raise ValueError(f"output_type must be one of {GGUF_OUTPUT_TYPES}, found {output_type!r}")
    root = Path(folder).expanduser().absolute()
    source = str(root)
    config = _read_json(root / "config.json", source)
    architectures = config.get("architectures") or []
    known = [a for a in architectures if a in _ARCHITECTURES]
    if not known:
        raise ModelConfigError(
            source,
            f"the converter knows {', '.join(_ARCHITECTURES)}, found {architectures!r}",
        )
    arch_name, permute = _ARCHITECTURES[known[0]]
    arch = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2}[arch_name]
    n_layers = int(config["num_hidden_layers"])
    n_head = int(config["num_attention_heads"])
    n_kv = int(config.get("num_key_value_heads") or n_head)
    hidden = int(config["hidden_size"])
    head_dim = int(config.get("head_dim") or hidden // n_head)
    vocab_size = int(config["vocab_size"])
    model, pre, tokens, scores, types, merges, tokenizer_config = _vocabulary(
        root, vocab_size, str(config.get("model_type", ""))
    )

    target = Path(output).expanduser().absolute()
    tmp = target.with_name(f".{target.name}.tmp")
    writer = gguf.GGUFWriter(str(tmp), arch_name)
    file_type = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    }[output_type]
    writer.add_name(name or root.name)
    writer.add_file_type(int(file_type))
    writer.add_context_length(int(config.get("max_position_embeddings") or 4096))
    writer.add_embedding_length(hidden)
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_freq_base(float(config.get("rope_theta") or 10000.0))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps") or 1e-6))
    writer.add_vocab_size(vocab_size)

    writer.add_tokenizer_model(model)
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    if merges:
        writer.add_token_merges(merges)
    for key, add in (
        ("bos_token", writer.add_bos_token_id),
        ("eos_token", writer.add_eos_token_id),
        ("unk_token", writer.add_unk_token_id),
        ("pad_token", writer.add_pad_token_id),
    ):
        token_id = _token_id(tokenizer_config, key, tokens)
        if token_id is None and key in ("bos_token", "eos_token"):
            token_id = config.get(f"{key}_id")
        if isinstance(token_id, int):
            add(token_id)
    writer.add_add_bos_token(bool(tokenizer_config.get("add_bos_token", False)))
    writer.add_add_eos_token(bool(tokenizer_config.get("add_eos_token", False)))
    if model == "llama":
        writer.add_add_space_prefix(True)  # Metaspace prepends ▁ to the text
    template = _chat_template(root, tokenizer_config)
    if template:
        writer.add_chat_template(template)

    names = gguf.get_tensor_name_map(arch, n_layers)
    quant = gguf.GGMLQuantizationType
    count = 0
    for hf_name, data in _tensors(root):
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        new_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ModelConfigError(source, f"the converter cannot place tensor {hf_name!r}")
        if permute and hf_name.endswith("q_proj.weight"):
            data = _permute(data, n_head)
        elif permute and hf_name.endswith("k_proj.weight"):
            data = _permute(data, n_kv)
        if data.ndim < 2 or output_type == "f32":
            writer.add_tensor(new_name, np.ascontiguousarray(data, dtype=np.float32))
        elif output_type == "q8_0" and data.shape[-1] % _Q8_BLOCK == 0:
            packed = gguf.quants.quantize(np.ascontiguousarray(data), quant.Q8_0)
            writer.add_tensor(new_name, packed, raw_dtype=quant.Q8_0)
        else:
            writer.add_tensor(new_name, np.ascontiguousarray(data, dtype=np.float16))
        count += 1
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    os.replace(tmp, target)
    logger.info("converted %s to GGUF (%s, %d tensors)", root.name, output_type, count)
    return target
