"""The language-model engine: a local Hugging Face causal LM drafts report text.

Any Hugging Face causal-LM folder on disk may be used (``config.json``, a tokenizer,
safetensors weights; its chat template when it has one). House rule 7 decides how it
is loaded: with the Hugging Face offline variables set before transformers is imported,
``local_files_only``, safetensors only (a folder with only pickle weights is refused and
never opened), never ``trust_remote_code`` (a folder that needs its own code is
refused). The package is in rooms of one job each:

- :mod:`~core.report.llm.errors`: one error per refusal;
- :mod:`~core.report.llm.inspection`: :func:`inspect_model_folder` checks a folder (config,
  weights, tokenizer, the refusals, whether the model fits in memory) from the files
  alone, without importing torch or transformers;
- :mod:`~core.report.llm.parsing`: the model's text as report sections
  (:func:`parse_sections`, :func:`draft_sections`);
- :mod:`~core.report.llm.protocol`: what travels to and from the language-model process
  (:class:`GenerationSettings`, :class:`TextChunk`);
- :mod:`~core.report.llm.drafting`: :func:`draft_with_language_model`, the job the panel
  and the CLI run, and the shared language-model process;
- :mod:`~core.report.llm.child`: what runs in that process, with torch and transformers;
- :mod:`~core.report.llm.engines`: :class:`EngineSpec`, which engine drafts (a
  transformers folder, an OpenAI-compatible endpoint, a GGUF file), and where an
  endpoint's API key is kept;
- :mod:`~core.report.llm.endpoint`: the endpoint engine (streamed chat completions);
- :mod:`~core.report.llm.gguf`: the GGUF engine's checks (:func:`inspect_gguf_file`,
  :func:`import_gguf_model`, the report grammar); :mod:`~core.report.llm.gguf_child`:
  what llama.cpp runs in the language-model process; :mod:`~core.report.llm.gguf_convert`:
  a Hugging Face Llama-family folder as one GGUF file.

The prompt is built in :mod:`core.report.prompt` (:func:`build_messages`, re-exported
here), from coded facts only, never from free-text DICOM fields (house rule 8).
"""

from __future__ import annotations

from core.report.document import SECTION_HEADINGS
from core.report.llm.drafting import (
    DEFAULT_IDLE_RELEASE_S,
    LanguageModelDraft,
    apply_language_model_draft,
    draft_with_language_model,
    get_language_model_process,
    language_model_process_is_running,
    set_language_model_idle_release,
    shutdown_language_model_process,
    try_engine,
)
from core.report.llm.endpoint import (
    EndpointAuthError,
    EndpointError,
    EndpointModelError,
    EndpointProtocolError,
    EndpointTimeoutError,
    EndpointUnreachableError,
    list_endpoint_models,
)
from core.report.llm.engines import (
    API_KEY_ENVIRONMENT,
    EngineSpec,
    endpoint_api_key,
    endpoint_credentials,
)
from core.report.llm.errors import (
    LanguageModelError,
    LanguageModelProcessError,
    ModelConfigError,
    ModelFolderError,
    ModelFolderNotFoundError,
    ModelLoadError,
    ModelTooLargeError,
    PickleWeightsError,
    RemoteCodeError,
    UnsafeModelError,
)
from core.report.llm.gguf import GgufModelInfo, import_gguf_model, inspect_gguf_file
from core.report.llm.inspection import LanguageModelInfo, available_memory, inspect_model_folder
from core.report.llm.parsing import draft_sections, parse_sections
from core.report.llm.protocol import DraftRestarted, GenerationSettings, TextChunk
from core.report.prompt import DraftMode, build_messages, render_plain_prompt

__all__ = [
    "API_KEY_ENVIRONMENT",
    "DEFAULT_IDLE_RELEASE_S",
    "SECTION_HEADINGS",
    "DraftMode",
    "DraftRestarted",
    "EndpointAuthError",
    "EndpointError",
    "EndpointModelError",
    "EndpointProtocolError",
    "EndpointTimeoutError",
    "EndpointUnreachableError",
    "EngineSpec",
    "GenerationSettings",
    "GgufModelInfo",
    "LanguageModelDraft",
    "LanguageModelError",
    "LanguageModelInfo",
    "LanguageModelProcessError",
    "ModelConfigError",
    "ModelFolderError",
    "ModelFolderNotFoundError",
    "ModelLoadError",
    "ModelTooLargeError",
    "PickleWeightsError",
    "RemoteCodeError",
    "TextChunk",
    "UnsafeModelError",
    "apply_language_model_draft",
    "available_memory",
    "build_messages",
    "draft_sections",
    "draft_with_language_model",
    "endpoint_api_key",
    "endpoint_credentials",
    "get_language_model_process",
    "import_gguf_model",
    "inspect_gguf_file",
    "inspect_model_folder",
    "language_model_process_is_running",
    "list_endpoint_models",
    "parse_sections",
    "render_plain_prompt",
    "set_language_model_idle_release",
    "shutdown_language_model_process",
    "try_engine",
]
