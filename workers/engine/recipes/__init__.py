"""Recipes beyond plain training: ensembles (more to come: GANs, fine-tuning)."""
