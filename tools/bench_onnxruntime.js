#!/usr/bin/env node
// This file is part of the opencv_zsl module (cv::zsl).
// Peer benchmark for modules/zsl/perf/bench_encoder.cpp: ONNX Runtime (npm onnxruntime-node, CPU) on the same .onnx.
//
//   cd tools && npm install --ignore-scripts onnxruntime-node      # once; node_modules/ is not committed
//   node tools/bench_onnxruntime.js <model.onnx> <batch> <threads> <seconds>
//
// Prints one line: "ort version=<v> batch=<B> threads=<T> images_per_s=<x> cpu_ms_per_image=<y> runs=<n>"
// (CPU time of the whole process, all threads: steadier than wall time on a shared machine).
'use strict';
const ort = require('onnxruntime-node');

async function main() {
    const [model, batchArg, threadsArg, secondsArg] = process.argv.slice(2);
    if (!model) {
        console.error('usage: node tools/bench_onnxruntime.js <model.onnx> [batch=1] [threads=2] [seconds=5]');
        process.exit(2);
    }
    const batch = parseInt(batchArg || '1', 10), threads = parseInt(threadsArg || '2', 10);
    const seconds = parseFloat(secondsArg || '5');
    // Same thread budget as cv::setNumThreads(threads): intra-op pool only, sequential graph execution.
    const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
        graphOptimizationLevel: 'all', executionProviders: ['cpu'],
    });
    const inputName = session.inputNames[0];
    const data = new Float32Array(batch * 3 * 224 * 224);
    let seed = 12345; // deterministic input in [-2, 2] (the range of normalised ImageNet pixels)
    for (let i = 0; i < data.length; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        data[i] = (seed / 0x7fffffff) * 4 - 2;
    }
    const feeds = {};
    feeds[inputName] = new ort.Tensor('float32', data, [batch, 3, 224, 224]);
    await session.run(feeds); // warm-up (allocations, kernel selection)
    let runs = 0;
    const cpu0 = process.cpuUsage(); // user + system microseconds of this process, all threads
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    do {
        await session.run(feeds);
        runs++;
        elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (elapsed < seconds || runs < 2);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / (runs * batch);
    console.log(`ort version=${require('onnxruntime-node/package.json').version} batch=${batch} threads=${threads} ` +
                `images_per_s=${(runs * batch / elapsed).toFixed(3)} cpu_ms_per_image=${cpuMs.toFixed(2)} runs=${runs}`);
}

main().catch((e) => { console.error('bench_onnxruntime: ' + e.message); process.exit(1); });
