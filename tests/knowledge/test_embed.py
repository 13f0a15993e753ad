from __future__ import annotations

import numpy as np

from kiosk.knowledge.embed import Embedder


def test_embeddings_are_unit_vectors_that_rank_meaning(embedder: Embedder) -> None:
    vectors = embedder.embed(
        ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    # all-MiniLM-L6-v2 reference values (sentence-transformers): 0.7553 and 0.2475
    assert abs(similarity[0, 1] - 0.7553) < 0.01
    assert abs(similarity[0, 2] - 0.2475) < 0.01


def test_one_pass_for_many_texts_gives_the_same_vectors(embedder: Embedder) -> None:
    texts = ["kids", "certifications", "where can I find the nearest toilet in the museum"]
    together = embedder.embed_many([*texts, "kids"])  # different lengths, padded and masked; a repeat
    for text, vector in zip(texts, together, strict=False):
        alone = embedder._encode_one(embedder.tokenizer.encode(text).ids)
        np.testing.assert_allclose(vector, alone, atol=1e-5)
    np.testing.assert_allclose(together[3], together[0])
