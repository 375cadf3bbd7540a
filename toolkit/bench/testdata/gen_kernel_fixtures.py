# Writes the kernel-profile fixtures of kernels_test.go (no GPU here: these
# are NOT produced by ncu or torch.profiler; see README.md):
#   ncu_ours.csv     Nsight Compute's `--csv` details layout (every field
#                    quoted, the column set of ncu 2023-2025, ==PROF== lines
#                    first), XLA-style kernel names: 3 init kernels, one extra
#                    kernel before the first step, then 4 steps (durations
#                    drift by 100 ns a step) ending in a repeated block.
#   torch_kernels.csv the layout the PyTorch profiling script writes
#                    (# comments, "# steps=2", header name,duration_ns),
#                    PyTorch/cuDNN kernel names of a bf16 channels-last step.
# Run: python3 gen_kernel_fixtures.py   (from this folder)
import csv

FPROP = "sm90_xmma_fprop_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cudnn"
DGRAD = "sm90_xmma_dgrad_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_g1_execute_segment_k_off_kernel__5x_cudnn"
WGRAD = "sm90_xmma_wgrad_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cudnn"
GEMM = "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize64x64x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas"

# (name, ns) of one step of ours; the step ends in a repeated block
# (dgrad, wgrad twice), so its tail has a period-2 repeat.
OURS_STEP = [
    (FPROP, 41200), ("input_reduce_fusion", 9800), ("loop_add_fusion", 7100),
    ("loop_reduce_window_fusion", 6300), (FPROP, 38800), ("input_reduce_fusion_1", 8900),
    ("loop_add_fusion_1", 6600), (GEMM, 3100), ("input_reduce_fusion_2", 2400),
    ("select_and_scatter_3", 15300), ("loop_multiply_fusion", 4200),
    (DGRAD, 52100), (WGRAD, 61700), (DGRAD, 50900), (WGRAD, 60300),
]
INIT = [("loop_broadcast_fusion", 2100), ("rng_bit_generator_1", 1300), ("copy_fusion", 1800)]


def ncu():
    rows = list(INIT) + [("wrapped_convert", 900)]
    for step in range(4):
        rows += [(n, ns + 100 * step) for n, ns in OURS_STEP]  # durations drift a little
    cols = ["ID", "Process ID", "Process Name", "Host Name", "Kernel Name", "Context", "Stream",
            "Block Size", "Grid Size", "Device", "CC", "Section Name", "Metric Name", "Metric Unit", "Metric Value"]
    with open("ncu_ours.csv", "w", newline="") as f:
        f.write("==PROF== Connected to process 41873 (/work/debiaser)\n")
        f.write("==WARNING== Backing up device memory in system memory. Kernel replay might be slow. Consider using \"--replay-mode application\" to avoid memory save-and-restore.\n")
        for i, (n, _) in enumerate(rows):
            f.write(f'==PROF== Profiling "{n[:40]}" - {i}: 0%....50%....100% - 1 pass\n')
        f.write("==PROF== Disconnected from process 41873\n")
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(cols)
        for i, (n, ns) in enumerate(rows):
            w.writerow([i, 41873, "debiaser", "127.0.0.1", n, 1, 13, "(128, 1, 1)", "(1568, 1, 1)", 0, "9.0",
                        "Command line profiler metrics", "gpu__time_duration.sum", "nsecond", f"{ns:,}"])


TORCH_STEP = [
    ("void cudnn::engines_precompiled::nchwToNhwcKernel<__nv_bfloat16, __nv_bfloat16, float, false, true, (cudnnKernelDataType_t)0>(cudnn::engines_precompiled::nchw2nhwc_params_t<float>, __nv_bfloat16 const*, __nv_bfloat16*)", 3300),
    (FPROP, 40100),
    ("void cudnn::bn_fw_tr_1C11_singleread_spec<__nv_bfloat16, float, float, 512, 1, 2, 0>(cudnnTensorStruct, __nv_bfloat16 const*, cudnnTensorStruct, __nv_bfloat16*, float const*, float const*, float, float, float*, float*, float*, float*, float, float)", 12100),
    ("void at::native::vectorized_elementwise_kernel<4, at::native::(anonymous namespace)::launch_clamp_scalar(at::TensorIteratorBase&, c10::Scalar, c10::Scalar, at::native::detail::ClampLimits)::{lambda()#1}::operator()() const::{lambda()#7}::operator()() const::{lambda(c10::BFloat16)#1}, at::detail::Array<char*, 2> >(int, at::native::(anonymous namespace)::launch_clamp_scalar(at::TensorIteratorBase&, c10::Scalar, c10::Scalar, at::native::detail::ClampLimits)::{lambda()#1}::operator()() const::{lambda()#7}::operator()() const::{lambda(c10::BFloat16)#1}, at::detail::Array<char*, 2>)", 5200),
    ("void at::native::(anonymous namespace)::max_pool_forward_nhwc<c10::BFloat16, float>(c10::BFloat16 const*, int, long, long, long, int, int, int, int, int, int, int, int, int, int, int, int, c10::BFloat16*, long*)", 6900),
    ("void at::native::reduce_kernel<512, 1, at::native::ReduceOp<c10::BFloat16, at::native::MeanOps<float, float, float, c10::BFloat16>, unsigned int, c10::BFloat16, 4> >(at::native::ReduceOp<c10::BFloat16, at::native::MeanOps<float, float, float, c10::BFloat16>, unsigned int, c10::BFloat16, 4>)", 2900),
    (GEMM, 2800),
    ("void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float, at::native::(anonymous namespace)::LogSoftMaxForwardEpilogue>(float*, float const*, int)", 1900),
    ("void at::native::(anonymous namespace)::max_pool_backward_nhwc<c10::BFloat16, float>(c10::BFloat16 const*, long const*, int, long, long, long, int, int, int, int, int, int, int, int, int, int, int, int, c10::BFloat16*)", 9100),
    ("void cudnn::bn_bw_1C11_singleread_spec<__nv_bfloat16, float, float, 512, 1, 2, 0>(float, float, float, float, cudnnTensorStruct, __nv_bfloat16 const*, cudnnTensorStruct, __nv_bfloat16 const*, cudnnTensorStruct, __nv_bfloat16*, float const*, float*, float*, float const*, float const*, float)", 17800),
    (DGRAD, 49700), (WGRAD, 58200),
    ("void at::native::unrolled_elementwise_kernel<at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#7}::operator()() const::{lambda(float)#1}, at::detail::Array<char*, 2>, TrivialOffsetCalculator<1, unsigned int>, TrivialOffsetCalculator<1, unsigned int>, at::native::memory::LoadWithCast<1>, at::native::memory::StoreWithCast<1> >(int, at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#7}::operator()() const::{lambda(float)#1}, at::detail::Array<char*, 2>, TrivialOffsetCalculator<1, unsigned int>, TrivialOffsetCalculator<1, unsigned int>, at::native::memory::LoadWithCast<1>, at::native::memory::StoreWithCast<1>)", 4100),
    ("void at::native::(anonymous namespace)::multi_tensor_apply_kernel<at::native::(anonymous namespace)::TensorListMetadata<4>, at::native::(anonymous namespace)::FusedAdamMathFunctor<float, 4, (at::native::ADAM_MODE)0, false>, bool, double, double, double, double, double, double*, double*, bool*, bool*>(at::native::(anonymous namespace)::TensorListMetadata<4>, at::native::(anonymous namespace)::FusedAdamMathFunctor<float, 4, (at::native::ADAM_MODE)0, false>, bool, double, double, double, double, double, double*, double*, bool*, bool*)", 8800),
]


def torch():
    with open("torch_kernels.csv", "w", newline="") as f:
        f.write("# torch.profiler CUDA kernels, bf16 channels-last, batch 128 (hand-made fixture)\n")
        f.write("# steps=2\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "duration_ns"])
        for step in range(2):
            for n, ns in TORCH_STEP:
                w.writerow([n, ns + 50 * step])


ncu()
torch()
