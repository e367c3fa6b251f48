#!/usr/bin/python3
"""Quantize the exported fp32 decoder with only onnx + numpy, emitting the same
operators onnxruntime's own quantizers emit.

q4   (model_q4.onnx):   every weight MatMul -> com.microsoft MatMulNBits (4 bits,
                        block 32, asymmetric with packed uint4 zero points, fp32
                        scales); the token-embedding lookup reads an fp16 copy of
                        the embedding (Gather + Cast).  Batch-invariant in
                        onnxruntime's CPU kernels.
int8 (model_int8.onnx): dynamic quantization: DynamicQuantizeLinear on the
                        activation (uint8, one scale per call, i.e. over the whole
                        batch) + MatMulInteger with int8 weights, per-output-column
                        symmetric scales.  The embedding lookup reads the same int8
                        tensor as the output projection (one scale per token).
                        Not batch-invariant: a row's result depends on its batch mates.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCK = 32


def weight_matmuls(model):
    inits = {t.name: t for t in model.graph.initializer}
    out = []
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits and len(inits[node.input[1]].dims) == 2:
            out.append(node)
    return out, inits


def q4_pack(w):
    """w [K, N] float32 -> (packed [N, k_blocks, 16] uint8, scales [N*k_blocks] f32, zp [N*ceil(kb/2)] uint8)."""
    K, N = w.shape
    assert K % BLOCK == 0, (K, BLOCK)
    kb = K // BLOCK
    wt = w.T.reshape(N, kb, BLOCK).astype(np.float32)
    mn = np.minimum(wt.min(axis=2), 0.0)
    mx = np.maximum(wt.max(axis=2), 0.0)
    scale = (mx - mn) / 15.0
    scale[scale == 0] = 1.0
    zp = np.clip(np.round(-mn / scale), 0, 15).astype(np.uint8)
    q = np.clip(np.round(wt / scale[:, :, None]) + zp[:, :, None], 0, 15).astype(np.uint8)
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)  # [N, kb, 16]
    if kb % 2:
        zp = np.concatenate([zp, np.zeros((N, 1), np.uint8)], axis=1)
    zpp = (zp[:, 0::2] | (zp[:, 1::2] << 4)).astype(np.uint8).reshape(-1)
    return packed, scale.astype(np.float32).reshape(-1), zpp


def q4_dequant(packed, scale, zpp, K, N):
    kb = K // BLOCK
    lo = packed & 0x0F
    hi = packed >> 4
    q = np.empty((N, kb, BLOCK), np.float32)
    q[:, :, 0::2] = lo
    q[:, :, 1::2] = hi
    zp2 = zpp.reshape(N, -1)
    zp = np.empty((N, zp2.shape[1] * 2), np.float32)
    zp[:, 0::2] = zp2 & 0x0F
    zp[:, 1::2] = zp2 >> 4
    zp = zp[:, :kb]
    return ((q - zp[:, :, None]) * scale.reshape(N, kb)[:, :, None]).reshape(N, K).T


def replace_nodes(model, new_nodes_for):
    """new_nodes_for: dict node-name -> list of replacement nodes (kept in place)."""
    nodes = list(model.graph.node)
    del model.graph.node[:]
    for n in nodes:
        if n.name in new_nodes_for:
            model.graph.node.extend(new_nodes_for[n.name])
        else:
            model.graph.node.append(n)


def add_ms_opset(model):
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def embedding_gathers(model, name):
    return [n for n in model.graph.node if n.op_type == "Gather" and n.input[0] == name]


def quantize_q4(model, accuracy_level=4):
    """accuracy_level 4: onnxruntime computes with int8 dot products; 0 keeps fp32 compute."""
    mms, inits = weight_matmuls(model)
    repl = {}
    new_inits = []
    drop = set()
    for node in mms:
        wname = node.input[1]
        w = numpy_helper.to_array(inits[wname])
        K, N = w.shape
        packed, scale, zpp = q4_pack(w)
        base = wname.replace("/", "_").replace(":", "_") + "_q4"
        new_inits += [numpy_helper.from_array(packed, base + "_B"), numpy_helper.from_array(scale, base + "_scales"),
                      numpy_helper.from_array(zpp, base + "_zp")]
        repl[node.name] = [helper.make_node("MatMulNBits", [node.input[0], base + "_B", base + "_scales", base + "_zp"],
                                            list(node.output), name=node.name + "_Q4", domain="com.microsoft",
                                            K=K, N=N, bits=4, block_size=BLOCK, accuracy_level=accuracy_level)]
        drop.add(wname)
    # embedding lookups that read a now-quantized matrix: give them an fp16 copy
    for wname in list(drop):
        gs = embedding_gathers(model, wname)
        if not gs:
            continue
        w = numpy_helper.to_array(inits[wname])
        new_inits.append(numpy_helper.from_array(w.astype(np.float16), wname + "_fp16"))
        for g in gs:
            out = g.output[0]
            g16 = helper.make_node("Gather", [wname + "_fp16", g.input[1]], [out + "_fp16"], name=g.name + "_fp16",
                                   axis=[a.i for a in g.attribute if a.name == "axis"][0] if g.attribute else 0)
            cast = helper.make_node("Cast", [out + "_fp16"], [out], name=g.name + "_cast", to=TensorProto.FLOAT)
            repl[g.name] = [g16, cast]
    replace_nodes(model, repl)
    keep = [t for t in model.graph.initializer if t.name not in drop]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep + new_inits)
    add_ms_opset(model)
    return model


def quantize_int8(model):
    mms, inits = weight_matmuls(model)
    repl = {}
    new_inits = []
    drop = set()
    for node in mms:
        wname = node.input[1]
        w = numpy_helper.to_array(inits[wname]).astype(np.float32)
        K, N = w.shape
        base = wname.replace("/", "_").replace(":", "_") + "_i8"
        if wname not in drop:
            s = np.abs(w).max(axis=0) / 127.0
            s[s == 0] = 1.0
            q = np.clip(np.round(w / s), -127, 127).astype(np.int8)
            new_inits += [numpy_helper.from_array(q, base + "_W"), numpy_helper.from_array(s.astype(np.float32), base + "_scale")]
            drop.add(wname)
        x = node.input[0]
        p = node.name
        nodes = [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "_xq", p + "_xs", p + "_xzp"], name=p + "_dql"),
            helper.make_node("MatMulInteger", [p + "_xq", base + "_W", p + "_xzp"], [p + "_i32"], name=p + "_mmi"),
            helper.make_node("Cast", [p + "_i32"], [p + "_f"], name=p + "_cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "_xs", base + "_scale"], [p + "_s"], name=p + "_smul"),
            helper.make_node("Mul", [p + "_f", p + "_s"], list(node.output), name=p + "_out"),
        ]
        repl[node.name] = nodes
        # embedding lookups share the int8 tensor: Gather columns, Cast, scale per token
        for g in embedding_gathers(model, wname):
            axis = [a.i for a in g.attribute if a.name == "axis"][0] if g.attribute else 0
            assert axis == 1, "expects the [hidden, vocab] embedding layout"
            out = g.output[0]
            repl[g.name] = [
                helper.make_node("Gather", [base + "_W", g.input[1]], [out + "_i8"], name=g.name + "_i8", axis=1),
                helper.make_node("Cast", [out + "_i8"], [out + "_f"], name=g.name + "_cast", to=TensorProto.FLOAT),
                helper.make_node("Gather", [base + "_scale", g.input[1]], [out + "_s"], name=g.name + "_sg", axis=0),
                helper.make_node("Mul", [out + "_f", out + "_s"], [out], name=g.name + "_mul"),
            ]
    replace_nodes(model, repl)
    keep = [t for t in model.graph.initializer if t.name not in drop]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep + new_inits)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True, help="folder holding onnx/model.onnx")
    ap.add_argument("--variants", default="q4,int8")
    ap.add_argument("--accuracy-level", type=int, default=4, choices=[0, 1, 2, 3, 4],
                    help="MatMulNBits accuracy_level of the q4 file (4: int8 compute, 0: fp32)")
    args = ap.parse_args()
    src = os.path.join(args.model_dir, "onnx", "model.onnx")
    for v in args.variants.split(","):
        m = onnx.load(src)
        if v == "q4":
            m = quantize_q4(m, args.accuracy_level)
            dst = os.path.join(args.model_dir, "onnx", "model_q4.onnx")
        elif v == "int8":
            m = quantize_int8(m)
            dst = os.path.join(args.model_dir, "onnx", "model_int8.onnx")
        else:
            raise SystemExit("unknown variant " + v)
        onnx.checker.check_model(m)
        onnx.save(m, dst)
        print(f"{dst}: {os.path.getsize(dst)} bytes")


if __name__ == "__main__":
    main()
