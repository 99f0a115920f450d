"""The tests' Keras 3 writer (no Keras here): a `.keras` archive laid out as keras/src/saving/saving_lib.py
writes it, and its Keras 2 twin (`.h5`, tf.keras's HDF5 layout) holding the same weights.

The layout of model.weights.h5 follows saving_lib's `_save_state` / `_save_container_state` (Keras 3.x):
every saveable stores its own variables in `<path>/vars/<i>` (a layer: trainable then non-trainable),
then its children: for a Sequential or Functional model first `layers`, then its attributes in sorted
order (private ones last). The items of a list are stored under the snake-case name of their *class*,
made unique in list order (`dense`, `dense_1`, …), not under the layer's own name. Keras 3.0–3.5 create
every `vars` group at once; Keras >= 3.6 also write the saveable's name on it (attribute `name`).

usage: keras3_write.py OUT.keras OUT.h5 KERAS_VERSION [OUT.weights.h5]
prints JSON: {layer name: [[dataset path in model.weights.h5, shape], …]} for the layers with weights,
and "optimizer": its dataset paths.
"""
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np


def to_snake_case(name):
    """keras/src/utils/naming.py, verbatim."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def _get_unique_name(name, used_names):
    """keras/src/saving/saving_lib.py, verbatim."""
    if name in used_names:
        used_names[name] += 1
        return f"{name}_{used_names[name]}"
    used_names[name] = 0
    return name


rng = np.random.default_rng(11)


class Obj:
    """A Keras saveable: a layer, a model or the optimizer."""

    def __init__(self, name, cls, config=None, weights=(), layers=None, attrs=None, module='keras.layers', registered=None, inbound=None, model=None):
        self.name, self.cls, self.config = name, cls, dict(config or {}, name=name)
        # [(Keras 2 weight name, shape)], trainable first: the order of `vars/<i>`
        self.weights = [(w, shape, rng.standard_normal(shape).astype(np.float32)) for w, shape in weights]
        self.layers = layers  # a model's layers (Sequential: without its InputLayer)
        self.attrs = attrs or {}  # attribute name → child saveable
        self.module, self.registered, self.inbound, self.model = module, registered, inbound, model


POLICY = {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}


def dense(name, units, n_in, act, inbound=None, cls='Dense', module='keras.layers', registered=None):
    return Obj(name, cls, {'units': units, 'activation': act, 'use_bias': True}, [('kernel', (n_in, units)), ('bias', (units,))], module=module, registered=registered, inbound=inbound)


def model():
    inp = Obj('inp', 'InputLayer', {'batch_shape': [None, 4, 4, 2], 'dtype': 'float32', 'sparse': False})
    up = Obj('up', 'Conv2DTranspose', {'filters': 3, 'kernel_size': [2, 2], 'strides': [1, 1], 'padding': 'valid'}, [('kernel', (2, 2, 3, 2)), ('bias', (3,))], inbound='inp')
    bn = Obj('bn', 'BatchNormalization', {'axis': -1, 'momentum': 0.99, 'epsilon': 0.001},
             [('gamma', (3,)), ('beta', (3,)), ('moving_mean', (3,)), ('moving_variance', (3,))], inbound='up')
    flat = Obj('flat', 'Flatten', {}, inbound='bn')
    fc1 = dense('fc1', 8, 75, 'linear', 'flat', cls='QDense', module='qkeras.qlayers', registered='QDense')
    act1 = Obj('act1', 'Activation', {'activation': 'relu'}, inbound='fc1')
    enc_in = Obj('enc_in', 'InputLayer', {'batch_shape': [None, 8], 'dtype': 'float32', 'sparse': False})
    enc = [dense('enc_a', 6, 8, 'relu'), Obj('drop', 'Dropout', {'rate': 0.25}), dense('enc_b', 5, 6, 'relu')]
    encoder = Obj('encoder', 'Sequential', {}, layers=enc, module='keras', inbound='act1')
    encoder.config['layers'] = [serialize(x) for x in [enc_in] + enc]
    fc2 = dense('fc2', 4, 5, 'relu', 'encoder')
    fc3 = dense('fc3', 3, 4, 'softmax', 'fc2')
    layers = [inp, up, bn, flat, fc1, act1, encoder, fc2, fc3]
    trainable = [w for l in layers for w in all_weights(l) if w[0] not in ('moving_mean', 'moving_variance')]
    opt_vars = [('iteration', (), np.int64(7)), ('learning_rate', (), np.float32(0.001))]
    for kind in ('m', 'v'):
        opt_vars += [(kind, w[1], rng.standard_normal(w[1]).astype(np.float32)) for w in trainable]
    opt = Obj('adam', 'Adam', module='keras.optimizers')
    opt.weights = opt_vars
    m = Obj('qmodel', 'Functional', {}, layers=layers, attrs={'optimizer': opt}, module='keras.src.models.functional', registered='Functional')
    return m


def all_weights(l):
    if l.layers is not None:
        return [w for x in l.layers for w in all_weights(x)]
    return l.weights


def serialize(l):
    cfg = dict(l.config)
    if l.cls not in ('InputLayer', 'Sequential'):
        cfg.setdefault('dtype', POLICY)
        cfg.setdefault('trainable', True)
    out = {'module': l.module, 'class_name': l.cls, 'config': cfg, 'registered_name': l.registered}
    if l.inbound is not None or l.cls == 'InputLayer':
        out['name'] = l.name
        out['inbound_nodes'] = [] if l.inbound is None else [
            {'args': [{'class_name': '__keras_tensor__', 'config': {'keras_history': [l.inbound, 0, 0]}}], 'kwargs': {}}]
    return out


def save_state(h5, obj, inner_path, with_names, paths, owner=None):
    """saving_lib._save_state (the weights store part). `paths` gathers the datasets by top-level layer."""
    owner = owner or obj.name
    g = h5.create_group(f'{inner_path}/vars' if inner_path else 'vars')
    if with_names:
        g.attrs['name'] = obj.name
    for i, w in enumerate(obj.weights):
        g[str(i)] = w[2]
        paths.setdefault(owner, []).append([f'/{g.name.lstrip("/")}/{i}', list(np.shape(w[2]))])
    if obj.layers is not None:  # _walk_saveable: a Sequential's or Functional's layers first
        save_container(h5, obj.layers, f'{inner_path}/layers' if inner_path else 'layers', with_names, paths, owner if inner_path else None)
    for attr in sorted(obj.attrs, key=lambda x: f'~{x}' if x.startswith('_') else x):
        save_state(h5, obj.attrs[attr], f'{inner_path}/{attr}' if inner_path else attr, with_names, paths, owner if inner_path else None)


def save_container(h5, items, inner_path, with_names, paths, owner):
    """saving_lib._save_container_state."""
    used_names = {}
    for obj in items:
        name = _get_unique_name(to_snake_case(obj.cls), used_names)
        save_state(h5, obj, f'{inner_path}/{name}', with_names, paths, owner)


def write_keras(out, m, version, weights_out=None):
    with_names = tuple(int(x) for x in version.split('.')[:2]) >= (3, 6)
    paths = {}
    buf = io.BytesIO()
    with h5py.File(buf, 'w') as f:
        save_state(f, m, '', with_names, paths)
    config = {'module': m.module, 'class_name': m.cls, 'registered_name': m.registered, 'config': {
        'name': m.name, 'trainable': True, 'layers': [serialize(l) for l in m.layers],
        'input_layers': [[m.layers[0].name, 0, 0]], 'output_layers': [[m.layers[-1].name, 0, 0]]},
        'compile_config': {'optimizer': {'module': 'keras.optimizers', 'class_name': 'Adam', 'config': {'learning_rate': 0.001}}, 'loss': 'categorical_crossentropy'}}
    with zipfile.ZipFile(out, 'w', compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr('metadata.json', json.dumps({'keras_version': version, 'date_saved': '2025-02-01@10:00:00'}))
        z.writestr('config.json', json.dumps(config))
        z.writestr('model.weights.h5', buf.getvalue())
    if weights_out:
        with open(weights_out, 'wb') as w:
            w.write(buf.getvalue())
    return paths


def write_h5(out, m):
    """tf.keras 2 `model.save('x.h5')`: model_config, model_weights/<layer>/<layer or inner layer>/<w>:0."""
    def k2(l):
        cfg = {k: v for k, v in l.config.items() if k != 'layers'}
        if l.cls not in ('InputLayer', 'Sequential'):
            cfg.update(dtype='float32', trainable=True)
        if l.layers is not None:
            cfg['layers'] = [{'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 8], 'dtype': 'float32', 'sparse': False, 'name': 'enc_in'}}] + [
                {'class_name': x.cls, 'config': dict(x.config, dtype='float32', trainable=True)} for x in l.layers]
        out = {'class_name': l.cls, 'config': cfg, 'name': l.name, 'inbound_nodes': [] if l.inbound is None else [[[l.inbound, 0, 0, {}]]]}
        if l.cls == 'InputLayer':
            out['config'] = {'batch_input_shape': [None, 4, 4, 2], 'dtype': 'float32', 'sparse': False, 'name': 'inp'}
        return out
    mc = {'class_name': 'Functional', 'config': {'name': m.name, 'layers': [k2(l) for l in m.layers], 'input_layers': [['inp', 0, 0]], 'output_layers': [['fc3', 0, 0]]}}
    with h5py.File(out, 'w') as f:
        f.attrs['keras_version'] = '2.15.0'
        f.attrs['backend'] = 'tensorflow'
        f.attrs['model_config'] = json.dumps(mc)
        mw = f.create_group('model_weights')
        mw.attrs['layer_names'] = [l.name.encode() for l in m.layers]
        mw.attrs['backend'] = 'tensorflow'
        mw.attrs['keras_version'] = '2.15.0'
        for l in m.layers:
            g = mw.create_group(l.name)
            owners = l.layers if l.layers is not None else [l]
            names = []
            for o in owners:
                for w, _, v in o.weights:
                    names.append(f'{o.name}/{w}:0')
                    g[names[-1]] = v
            g.attrs['weight_names'] = [n.encode() for n in names]
        ow = f.create_group('optimizer_weights')
        names = []
        for w, _, v in m.attrs['optimizer'].weights:
            names.append(f'Adam/{w}_{len(names)}:0')
            ow[names[-1]] = v
        ow.attrs['weight_names'] = [n.encode() for n in names]


if __name__ == '__main__':
    m = model()
    paths = write_keras(sys.argv[1], m, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    write_h5(sys.argv[2], m)
    opt = paths.pop('adam')
    print(json.dumps({'layers': paths, 'optimizer': [p for p, _ in opt]}))
