"""The graph document format ``netweave.graph/1``: pydantic models, JSON Schema, errors."""
from .errors import GraphError, error
from .models import (ID_PATTERN, SCHEMA_ID, Block, BlockParam, Edge, GraphDocument, Node,
                     Position, check_id, sanitize_id)

__all__ = ["GraphError", "error", "ID_PATTERN", "SCHEMA_ID", "Block", "BlockParam", "Edge",
           "GraphDocument", "Node", "Position", "check_id", "sanitize_id"]
