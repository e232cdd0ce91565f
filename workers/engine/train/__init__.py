"""Training: a typed config, one recipe (setup / train / save_checkpoint / cleanup),
metrics, checkpoints that load with ``weights_only=True``, schedules and AMP."""
from .checkpoint import load_checkpoint
from .config import ConfigError, TrainConfig, config_schema, parse_config, parse_model
from .meter import EventSink, NullSink
from .recipe import Cancelled, LoopState, Placement, TrainRecipe

__all__ = ["Cancelled", "ConfigError", "EventSink", "LoopState", "NullSink", "Placement",
           "TrainConfig", "TrainRecipe", "config_schema", "load_checkpoint", "parse_config", "parse_model"]
