"""ONNX exporters for the Kandinsky TS model-folder contract (docs/model-format.md)."""
from .contract import (  # noqa: F401
    OPSET, ComponentSpec, SPECS, ContractWrapper, causal_lm_spec, check_onnx_contract, export_component,
    export_onnx, round_weights_fp16, store_weights_fp16, write_f32_bin, write_json, write_model_index,
)
