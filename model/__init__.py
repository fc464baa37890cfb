"""parley.model: the event model's config, heads and label maps."""

from transformers import AutoConfig, AutoModel

from parley.model.configuration import ParleyConfig
from parley.model.labels import LabelSpace
from parley.model.modeling import ParleyModel

AutoConfig.register(ParleyConfig.model_type, ParleyConfig, exist_ok=True)
AutoModel.register(ParleyConfig, ParleyModel, exist_ok=True)

__all__ = ["LabelSpace", "ParleyConfig", "ParleyModel"]
