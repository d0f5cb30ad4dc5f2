"""The one place that wires components into services.

``build_assistant(settings)`` returns an :class:`Assistant` whose parts are created on first
access (``functools.cached_property``): building one is free, loads no model and creates no
folder, so shells can build it before deciding what to do. Later services (retrieval,
answering, assessment) are added here as further properties.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings, load_settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.components.chunking import DocumentChunker
    from assistant.components.glossary import Glossary
    from assistant.components.index_lock import WriteLock
    from assistant.components.loaders import DocumentLoader
    from assistant.components.manifest import Manifest
    from assistant.components.tokenizer import ChineseTokenizer
    from assistant.components.vector_store import ChromaStore
    from assistant.services.answer import AnswerService
    from assistant.services.assess import AssessmentService
    from assistant.services.ingest import IngestService
    from assistant.services.lexical_sync import LexicalIndexKeeper
    from assistant.services.ranking.card_router import CardRouter
    from assistant.services.retrieve import HybridRetriever


#: The learned refusal model (when enabled, ``RESILIENCE_LEARNED_REFUSAL``) decides only on libraries
#: of at least this many chunks; it was trained on 2,735 and its signals shift on much smaller ones.
LEARNED_REFUSAL_MIN_CHUNKS = 1000

#: Trained models shipped with the package (``python -m assistant train-ranker`` rewrites them).
MODELS_DIR = Path(__file__).resolve().parent / "models"


def card_router_path(settings: Settings) -> Path:
    """The card router's weights, per embedder like the ranker (its dense features differ)."""
    ranker = ranker_model_path(settings)
    return ranker.with_name(ranker.stem + "-cards.json")


#: Bars on each embedder's cosine-similarity scale (refusal, follow-ups): ``dense_scale``.
DENSE_BARS_FILE = MODELS_DIR / "dense-thresholds.json"


def embedder_profile(settings: Settings) -> str:
    """The embedder's name as a file-name part: models and bars are kept per embedder."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", settings.embedding_model).strip("_") or "default"


def ranker_model_path(settings: Settings) -> Path:
    """Each embedder has its own ranker: dense scores of different models are not comparable."""
    return MODELS_DIR / f"ranker-{embedder_profile(settings)}.txt"


class Assistant:
    """Settings plus lazily built components and services of one index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def collection_name(self) -> str:
        """Chroma collection of the configured embedder (models never share vectors)."""
        from assistant.components.embeddings import collection_name

        return collection_name(self.settings.embedding_model)

    @cached_property
    def embeddings(self) -> Embeddings:
        from assistant.components.embeddings import make_embeddings

        return make_embeddings(self.settings.embedding_model, self.settings.embed_batch_size)

    def _cached(self, embeddings: Embeddings) -> Embeddings:
        """``embeddings`` behind the on-disk vector cache, when it is on (ingest only)."""
        if not self.settings.embedding_cache:
            return embeddings
        from assistant.components.embedding_cache import CachedEmbeddings

        path = self.settings.embedding_cache_dir / f"{embedder_profile(self.settings)}.sqlite"
        return CachedEmbeddings(embeddings, self.settings.embedding_model, path)

    @cached_property
    def store(self) -> ChromaStore:
        from assistant.components.vector_store import ChromaStore

        return ChromaStore(self.settings, self.collection_name)

    @cached_property
    def manifest(self) -> Manifest:
        from assistant.components.manifest import Manifest

        if self.settings.manifest_url:
            from assistant.components.manifest_postgres import PostgresManifest

            return PostgresManifest(self.settings.manifest_url, self.collection_name)
        return Manifest(self.settings.index_dir, self.collection_name)

    @cached_property
    def index_lock(self) -> WriteLock:
        from assistant.components.index_lock import IndexLock

        if self.settings.manifest_url:
            from assistant.components.manifest_postgres import PostgresIndexLock

            return PostgresIndexLock(
                self.settings.manifest_url, self.collection_name, self.settings.lock_timeout_s
            )
        return IndexLock(self.settings.index_dir, self.settings.lock_timeout_s)

    @cached_property
    def loader(self) -> DocumentLoader:
        from assistant.components.loaders import DocumentLoader

        return DocumentLoader(self.settings)

    @cached_property
    def chunker(self) -> DocumentChunker:
        from assistant.components.chunking import DocumentChunker

        return DocumentChunker(self.settings)

    @cached_property
    def ingest_service(self) -> IngestService:
        from assistant.components.embeddings import USE_MODEL
        from assistant.services.ingest import IngestService

        embeddings = self.embeddings
        # USE is numpy, whose Python-level steps need the GIL that Chroma's writes hold; e5
        # (ctypes) and sentence-transformers (torch) release it and gain nothing from a child
        if self.settings.ingest_embed_process and self.settings.embedding_model == USE_MODEL:
            from assistant.components.embedding_process import ChildProcessEmbeddings

            embeddings = ChildProcessEmbeddings(
                self.settings.embedding_model, self.settings.embed_batch_size, self.embeddings
            )
        return IngestService(
            self.settings,
            self.loader,
            self.chunker,
            self._cached(embeddings),
            self.store,
            self.manifest,
            self.index_lock,
        )

    @cached_property
    def assessor(self) -> AssessmentService:
        """Checklist self-assessment; weak points carry the indexed passages behind their basis."""
        from assistant.services.assess import AssessmentService
        from assistant.services.evidence import RetrievalEvidenceFinder

        return AssessmentService(self.settings, evidence_finder=RetrievalEvidenceFinder(self.retriever))

    # --- answering (retrieval, composition, optional LLM) -------------------------------
    @cached_property
    def glossary(self) -> Glossary:
        from assistant.components.glossary import Glossary

        paths = [self.settings.corpus_dir / "glossary.yaml"]
        if self.settings.user_glossary is not None:
            paths.append(self.settings.user_glossary)
        return Glossary.load(paths)

    @cached_property
    def tokenizer(self) -> ChineseTokenizer:
        from assistant.components.tokenizer import ChineseTokenizer

        return ChineseTokenizer(self.glossary.words())

    @cached_property
    def lexical_keeper(self) -> LexicalIndexKeeper:
        from assistant.services.lexical_sync import LexicalIndexKeeper

        s = self.settings
        folder = s.index_dir / "bm25" / self.collection_name
        published = s.lexical_dir / self.collection_name if s.lexical_dir else None
        return LexicalIndexKeeper(
            self.tokenizer, self.store, self.manifest, folder, published=published, rebuild=s.lexical_rebuild
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        from assistant.services.document_status import StatusAnnotator
        from assistant.services.query_analysis import AskKinds, QuestionCue
        from assistant.services.ranking.intent import IntentModel
        from assistant.services.ranking.model import RankerModel
        from assistant.services.retrieve import FusionParams, HybridRetriever

        return HybridRetriever(
            self.lexical_keeper.current,
            self.store,
            self.embeddings,
            self.glossary,
            default_jurisdiction=self.settings.default_jurisdiction,
            params=FusionParams(mode="learned"),
            cues=QuestionCue.load(self.settings.corpus_dir / "question_cues.yaml"),
            ask_kinds=AskKinds.load(self.settings.corpus_dir / "ask_kinds.yaml"),
            ranker=RankerModel(ranker_model_path(self.settings)),
            intent_model=IntentModel(MODELS_DIR / "intent.npz"),
            statuses=StatusAnnotator(self.manifest),
        )

    @cached_property
    def answer_service(self) -> AnswerService:
        import yaml

        from assistant.components.llm import OpenAICompatibleLLM
        from assistant.services.answer import AnswerService
        from assistant.services.compose import EmergencyNumbers, ExtractiveComposer
        from assistant.services.follow_up import FollowUpResolver
        from assistant.services.ranking.how_to import HowToModel
        from assistant.services.refusal_rules import (
            AskedForWhatNoDocumentHolds,
            OutOfScopeGate,
            Refusal,
            RefusalPolicy,
            ScaledRefusal,
        )
        from assistant.services.scope import ScopeRules

        s = self.settings
        templates = yaml.safe_load((s.prompts_dir / "answer_templates.yaml").read_text(encoding="utf-8"))
        composer = ExtractiveComposer(
            self.tokenizer,
            emergency=EmergencyNumbers.load(s.corpus_dir / "emergency_numbers.yaml"),
            templates=templates,
        )
        llm = (
            OpenAICompatibleLLM(s.llm_base_url, s.llm_model, s.llm_api_key, s.llm_timeout_s)
            if s.llm_base_url
            else None
        )
        from assistant.services.ranking.refusal import RefusalModel

        learned_refusal = RefusalModel(
            ranker_model_path(s).with_name(ranker_model_path(s).stem + "-refusal.json")
        )
        from assistant.services.follow_up import StandAloneRule
        from assistant.services.ranking.dense_scale import DenseBars, load_dense_bars

        # without the bars file, the rules' own (USE) defaults
        bars = load_dense_bars(DENSE_BARS_FILE, embedder_profile(s)) or DenseBars(
            RefusalPolicy.min_dense, RefusalPolicy.known_dense, StandAloneRule.min_dense
        )
        thresholds = RefusalPolicy(
            s.refusal_min_coverage,
            bars.min_dense if s.refusal_min_dense is None else s.refusal_min_dense,
            s.refusal_min_known,
            bars.known_dense if s.refusal_known_dense is None else s.refusal_known_dense,
        )
        refusal: Refusal = (
            ScaledRefusal(learned_refusal, thresholds, LEARNED_REFUSAL_MIN_CHUNKS)
            if s.learned_refusal and learned_refusal.available()
            else thresholds
        )
        if s.refusal_on_asks and not s.learned_refusal and learned_refusal.available():
            refusal = AskedForWhatNoDocumentHolds(refusal, learned_refusal, LEARNED_REFUSAL_MIN_CHUNKS)
        intent_model = self.retriever.intent_model
        gate = s.refusal_max_out_of_scope
        if gate is None and intent_model is not None and intent_model.available():
            gate = intent_model.out_of_scope_threshold
        if gate is not None and gate < 1.0:
            refusal = OutOfScopeGate(refusal, gate, LEARNED_REFUSAL_MIN_CHUNKS)
        scope = ScopeRules.load(s.corpus_dir / "scope.yaml")
        slots = s.corpus_dir / "follow_up_slots.yaml"
        follow_ups = FollowUpResolver.load(slots) if slots.is_file() else None
        return AnswerService(
            self.retriever,
            composer,
            refusal,
            templates,
            s.prompts_dir,
            s.top_k,
            llm,
            scope,
            follow_ups,
            card_router=self.card_router,
            how_to=HowToModel(MODELS_DIR / "how-to.npz"),
            stands_alone=StandAloneRule(min_dense=bars.stand_alone_dense),
        )

    @cached_property
    def card_router(self) -> CardRouter:
        """Chooses the guide a person would open (weights beside the embedder's ranker)."""
        from assistant.services.follow_up import SlotVocabulary
        from assistant.services.ranking.card_router import CardFeatures, CardRouter, HazardReader

        vocabulary = SlotVocabulary.load(self.settings.corpus_dir / "follow_up_slots.yaml")
        retriever = self.retriever
        features = CardFeatures(
            retriever.embedder.embed_query,
            retriever.dense.vector_matrix,
            HazardReader(lambda text: [(m.slot, m.value) for m in vocabulary.mentions(text)]),
        )
        return CardRouter(card_router_path(self.settings), features)

    def warm_up(self) -> None:
        """Load the embedder, jieba and the BM25 index now, so the first question answers at once."""
        from assistant.components.embeddings import warm_up

        warm_up(self.embeddings)
        self.tokenizer.warm_up()
        self.lexical_keeper.current()


def build_assistant(settings: Settings | None = None) -> Assistant:
    """The assistant for ``settings`` (read from the environment when omitted)."""
    return Assistant(settings if settings is not None else load_settings())
