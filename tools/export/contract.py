"""Wrap a network into the ONNX contract of docs/model-format.md and export it.

One wrapper per component kind fixes the input/output names, dtypes and dynamic axes; an
optional ``call`` adapter maps the contract's inputs onto the wrapped network's own forward
signature (tiny nets, the original ai-forever modules, or diffusers modules).

Stable API (tools/tiny-models and helper scripts import these names):
  ComponentSpec, SPECS, export_component(kind, net, folder, example, config, ...),
  write_json, write_f32_bin, write_model_index, check_onnx_contract.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

OPSET = 17
TWO_GB = 2 * 1024 ** 3


@dataclasses.dataclass(frozen=True)
class ComponentSpec:
    """Names and dynamic axes of one component kind (docs/model-format.md §3)."""
    kind: str
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]
    dynamic_axes: Dict[str, Dict[int, str]]
    int_inputs: Tuple[str, ...] = ()


_B = {0: 'batch'}
SPECS: Dict[str, ComponentSpec] = {
    'text_encoder': ComponentSpec(
        'text_encoder', ('input_ids', 'attention_mask'), ('last_hidden_state',),
        {'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence'},
         'last_hidden_state': {0: 'batch', 1: 'sequence'}},
        ('input_ids', 'attention_mask')),
    'text_projection': ComponentSpec(
        'text_projection', ('hidden',), ('context',),
        {'hidden': {0: 'batch', 1: 'context_length'}, 'context': {0: 'batch', 1: 'context_length'}}),
    'unet': ComponentSpec(
        'unet', ('sample', 'timestep', 'encoder_hidden_states', 'encoder_attention_mask'), ('noise_pred',),
        {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': _B,
         'encoder_hidden_states': {0: 'batch', 1: 'context_length'},
         'encoder_attention_mask': {0: 'batch', 1: 'context_length'},
         'noise_pred': {0: 'batch', 2: 'height', 3: 'width'}},
        ('encoder_attention_mask',)),
    'unet_ip_adapter': ComponentSpec(
        'unet', ('sample', 'timestep', 'encoder_hidden_states', 'encoder_attention_mask', 'image_embeds', 'ip_scale'),
        ('noise_pred',),
        {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': _B,
         'encoder_hidden_states': {0: 'batch', 1: 'context_length'},
         'encoder_attention_mask': {0: 'batch', 1: 'context_length'}, 'image_embeds': _B,
         'noise_pred': {0: 'batch', 2: 'height', 3: 'width'}},
        ('encoder_attention_mask',)),
    'unet_controlnet_hed': ComponentSpec(
        'unet', ('sample', 'timestep', 'encoder_hidden_states', 'encoder_attention_mask', 'hint'), ('noise_pred',),
        {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': _B,
         'encoder_hidden_states': {0: 'batch', 1: 'context_length'},
         'encoder_attention_mask': {0: 'batch', 1: 'context_length'},
         'hint': {0: 'hint_batch', 2: 'pixel_height', 3: 'pixel_width'},
         'noise_pred': {0: 'batch', 2: 'height', 3: 'width'}},
        ('encoder_attention_mask',)),
    'movq_encoder': ComponentSpec(
        'movq_encoder', ('image',), ('latent',),
        {'image': {0: 'batch', 2: 'pixel_height', 3: 'pixel_width'}, 'latent': {0: 'batch', 2: 'height', 3: 'width'}}),
    'movq_decoder': ComponentSpec(
        'movq_decoder', ('latent',), ('image',),
        {'latent': {0: 'batch', 2: 'height', 3: 'width'}, 'image': {0: 'batch', 2: 'pixel_height', 3: 'pixel_width'}}),
    'image_encoder': ComponentSpec(
        'image_encoder', ('pixel_values',), ('image_embeds',),
        {'pixel_values': _B, 'image_embeds': _B}),
    'edge_detector': ComponentSpec(
        'edge_detector', ('image',), ('side1', 'side2', 'side3', 'side4', 'side5'),
        dict({'image': {2: 'pixel_height', 3: 'pixel_width'}},
             **{f'side{k}': {2: f'h{k}', 3: f'w{k}'} for k in range(1, 6)})),
    'sr_unet': ComponentSpec(
        'sr_unet', ('sample', 'timestep', 'lowres'), ('x0',),
        {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': _B,
         'lowres': {0: 'batch', 2: 'height', 3: 'width'}, 'x0': {0: 'batch', 2: 'height', 3: 'width'}}),
}


def causal_lm_spec(num_layers: int) -> ComponentSpec:
    """docs/model-format.md §3.9: decoder-with-past names for ``num_layers`` layers."""
    past = [f'past_key_values.{i}.{kv}' for i in range(num_layers) for kv in ('key', 'value')]
    present = [f'present.{i}.{kv}' for i in range(num_layers) for kv in ('key', 'value')]
    axes = {'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'total_sequence'},
            'position_ids': {0: 'batch', 1: 'sequence'}, 'logits': {0: 'batch', 1: 'sequence'}}
    for n in past:
        axes[n] = {0: 'batch', 2: 'past_sequence'}
    for n in present:
        axes[n] = {0: 'batch', 2: 'total_sequence'}
    return ComponentSpec('causal_lm', tuple(['input_ids', 'attention_mask', 'position_ids'] + past),
                         tuple(['logits'] + present), axes, ('input_ids', 'attention_mask', 'position_ids'))


class ContractWrapper(torch.nn.Module):
    """Adapts ``net`` to the contract: int64 masks → bool, optional fp16 compute inside with an
    fp32 boundary (docs/model-format.md §2).

    ``call(net, **inputs)`` maps contract inputs (already cast) to the network's forward and
    returns a tensor or a tuple in the contract's output order.
    """

    def __init__(self, net: torch.nn.Module, spec: ComponentSpec, call: Callable, fp16: bool = False):
        super().__init__()
        self.net = net.half() if fp16 else net
        self.spec = spec
        self.call = call
        self.fp16 = fp16

    def forward(self, *args):
        feeds = {}
        for name, value in zip(self.spec.inputs, args):
            if name in self.spec.int_inputs:
                feeds[name] = value
            elif self.fp16 and value.is_floating_point():
                feeds[name] = value.half()
            else:
                feeds[name] = value
        out = self.call(self.net, **feeds)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return tuple(o.float() for o in outs)


def _default_call(kind: str) -> Callable:
    """The tiny nets' signatures (tools/tiny-models/nets.py)."""
    if kind == 'text_encoder':
        return lambda net, input_ids, attention_mask: net(input_ids, attention_mask)
    if kind == 'text_projection':
        return lambda net, hidden: net(hidden)
    if kind == 'unet':
        return lambda net, sample, timestep, encoder_hidden_states, encoder_attention_mask: net(
            sample, timestep, encoder_hidden_states, encoder_attention_mask > 0)
    if kind == 'unet_ip_adapter':
        return lambda net, sample, timestep, encoder_hidden_states, encoder_attention_mask, image_embeds, ip_scale: net(
            sample, timestep, encoder_hidden_states, encoder_attention_mask > 0, image_embeds, ip_scale)
    if kind == 'unet_controlnet_hed':
        return lambda net, sample, timestep, encoder_hidden_states, encoder_attention_mask, hint: net(
            sample, timestep, encoder_hidden_states, encoder_attention_mask > 0, hint=hint)
    if kind in ('movq_encoder', 'movq_decoder', 'image_encoder', 'edge_detector'):
        return lambda net, **kw: net(*kw.values())
    if kind == 'sr_unet':
        return lambda net, sample, timestep, lowres: net(sample, timestep, lowres)
    raise KeyError(kind)


def export_onnx(wrapper: ContractWrapper, example: Sequence[torch.Tensor], path: str,
                external_data: Optional[bool] = None) -> None:
    """torch.onnx.export at opset 17 with the spec's names and dynamic axes; re-saves with one
    external data file ``model.onnx.data`` when the model exceeds 2 GB or on request."""
    import onnx
    spec = wrapper.spec
    os.makedirs(os.path.dirname(path), exist_ok=True)
    size = sum(p.numel() * p.element_size() for p in wrapper.parameters())
    use_external = external_data if external_data is not None else size >= TWO_GB - 64 * 1024 ** 2
    wrapper.eval()
    with torch.no_grad(), tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, 'model.onnx') if use_external else path
        torch.onnx.export(wrapper, tuple(example), target, input_names=list(spec.inputs),
                          output_names=list(spec.outputs), dynamic_axes=spec.dynamic_axes,
                          opset_version=OPSET, do_constant_folding=True)
        if use_external:
            model = onnx.load(target, load_external_data=True)
            data_name = os.path.basename(path) + '.data'
            if os.path.exists(os.path.join(os.path.dirname(path), data_name)):
                os.remove(os.path.join(os.path.dirname(path), data_name))
            onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=data_name, size_threshold=1024)
    check_onnx_contract(path, spec)


def store_weights_fp16(path: str, min_elements: int = 256) -> None:
    """Store large float32 initializers as float16, each followed by a Cast back to float32.

    Halves the file while keeping fp32 compute and the fp32 boundary (docs/model-format.md §2).
    ORT folds the Casts at session creation. Round the torch weights with ``round_weights_fp16``
    first so that PyTorch references and the ONNX graph compute with identical weights.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(path)
    graph = model.graph
    new_inits, casts = [], []
    for init in graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elements:
            arr = numpy_helper.to_array(init).astype(np.float16)
            half = numpy_helper.from_array(arr, init.name + '__fp16')
            new_inits.append(half)
            casts.append(helper.make_node('Cast', [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                          name=init.name + '__cast'))
        else:
            new_inits.append(init)
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def round_weights_fp16(module: torch.nn.Module, min_elements: int = 256) -> torch.nn.Module:
    """Round every parameter/buffer with ≥ min_elements values to the nearest float16 (in place)."""
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point() and t.numel() >= min_elements:
                t.copy_(t.half().float())
    return module


def check_onnx_contract(path: str, spec: ComponentSpec) -> None:
    """Fail unless the file's graph inputs/outputs are exactly the contract's names, in order."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    if inputs != list(spec.inputs) or outputs != list(spec.outputs):
        raise ValueError(f'{path}: inputs {inputs} / outputs {outputs} differ from the contract '
                         f'{list(spec.inputs)} / {list(spec.outputs)}')


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def write_f32_bin(path: str, tensor: torch.Tensor) -> None:
    """Raw little-endian float32 (docs/model-format.md §1.2)."""
    import numpy as np
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tensor.detach().cpu().float().numpy().astype('<f4').tofile(path)


def export_component(kind: str, net: torch.nn.Module, folder: str, example: Sequence[torch.Tensor],
                     config: dict, call: Optional[Callable] = None, fp16: bool = False,
                     external_data: Optional[bool] = None, spec: Optional[ComponentSpec] = None,
                     weights_fp16: bool = False) -> str:
    """Export ``net`` as component ``kind`` into ``folder`` (model.onnx + config.json).

    kind: a key of SPECS ('text_encoder', 'text_projection', 'unet', 'unet_ip_adapter',
    'unet_controlnet_hed', 'movq_encoder', 'movq_decoder', 'image_encoder', 'edge_detector',
    'sr_unet') or pass ``spec=causal_lm_spec(n)`` with kind 'causal_lm'.
    ``weights_fp16``: store weights as float16 (compute stays float32); the net's weights are
    rounded in place first so PyTorch references match the file. Not with external data.
    """
    if weights_fp16:
        round_weights_fp16(net)
    spec = spec or SPECS[kind]
    wrapper = ContractWrapper(net, spec, call or _default_call(kind), fp16=fp16)
    path = os.path.join(folder, 'model.onnx')
    export_onnx(wrapper, example, path, external_data)
    if weights_fp16:
        store_weights_fp16(path)
        check_onnx_contract(path, spec)
    cfg = dict(config)
    cfg.setdefault('weight_storage', 'float16' if weights_fp16 or fp16 else 'float32')
    cfg.setdefault('kind', spec.kind)
    cfg.setdefault('compute_dtype', 'float16' if fp16 else 'float32')
    cfg['onnx'] = {'file': 'model.onnx', 'opset': OPSET, 'inputs': list(spec.inputs), 'outputs': list(spec.outputs),
                   'external_data': 'model.onnx.data' if os.path.exists(path + '.data') else None}
    write_json(os.path.join(folder, 'config.json'), cfg)
    return path


def write_model_index(folder: str, class_name: str, convention: Optional[str], variant: dict,
                      components: Dict[str, str]) -> None:
    """model_index.json (docs/model-format.md §1.1); rejects paths escaping the folder."""
    for role, rel in components.items():
        norm = os.path.normpath(rel)
        if os.path.isabs(rel) or norm.startswith('..') or '\\' in rel:
            raise ValueError(f'component {role}: path {rel!r} escapes the model folder')
    index = {'_class_name': class_name, 'format': 'kandinsky-ts', 'format_version': 1}
    if convention is not None:
        index['convention'] = convention
    index['variant'] = variant
    index['components'] = components
    write_json(os.path.join(folder, 'model_index.json'), index)
