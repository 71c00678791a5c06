"""Rasa pipeline component: fold every message into one Latin skeleton before tokenizing.

Apostrophe variants, Uzbek Cyrillic and Latin, simplified letters (о/ө, к/қ, х/ҳ, ч/ҷ), case and Latin-typed
Russian all meet in one form, in training and in production alike, so `rasa test nlu` measures what users get.
Annotated entity spans are moved onto the folded text.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from services.i18n.folding import fold_with_offsets


def _fold_message(message: Message) -> None:
    text = message.get(TEXT)
    if not isinstance(text, str) or not text:
        return
    folded, offsets = fold_with_offsets(text)
    entities = []
    for entity in message.get(ENTITIES) or []:
        start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
        moved = dict(entity, start=offsets[start], end=offsets[end])
        if entity.get(ENTITY_ATTRIBUTE_VALUE) == text[start:end]:
            moved[ENTITY_ATTRIBUTE_VALUE] = folded[offsets[start] : offsets[end]]
        entities.append(moved)
    message.set(TEXT, folded)
    if entities:
        message.set(ENTITIES, entities)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Replaces each message's text by its folded form (see services.i18n.folding)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        """Create the component; it has no state."""
        return cls()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
        return {}

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Any language: folding is script-based."""
        return None

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Fold every training example and move its entity spans."""
        for example in training_data.training_examples:
            _fold_message(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Fold incoming messages."""
        for message in messages:
            _fold_message(message)
        return messages
