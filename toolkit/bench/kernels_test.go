package bench

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var regen = flag.Bool("regen", false, "rewrite the golden files in testdata")

const ncuHeader = `"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"` + "\n"

// ncuLine is a data row of ncu's long CSV layout.
func ncuLine(id int, name, metric, unit, value string) string {
	return fmt.Sprintf(`"%d","41873","debiaser","127.0.0.1","%s","1","13","(128, 1, 1)","(1568, 1, 1)","0","9.0","Command line profiler metrics","%s","%s","%s"`+"\n",
		id, name, metric, unit, value)
}

func TestReadKernels(t *testing.T) {
	dur := "gpu__time_duration.sum"
	for _, tc := range []struct {
		name, in string
		want     []Kernel
		steps    int
		wallMS   float64
		err      string // substring of the error; "" for none
	}{
		{name: "ncu units, separators, preamble, order by ID", in: "==PROF== Connected to process 1\n==WARNING== slow\nprogram output\n" + ncuHeader +
			ncuLine(2, "c", dur, "msecond", "1.5") +
			ncuLine(0, "a", dur, "nsecond", "12,345") +
			ncuLine(0, "a", "sm__throughput.avg.pct_of_peak_sustained_elapsed", "%", "55.1") +
			ncuLine(1, "b, with comma", dur, "usecond", "2.5") +
			ncuLine(10, "d", dur, "second", "0.001") +
			ncuLine(3, "e", dur, "ns", "7") + "==PROF== Disconnected from process 1\n",
			want: []Kernel{{"a", 12345}, {"b, with comma", 2500}, {"c", 1.5e6}, {"e", 7}, {"d", 1e6}}},
		{name: "ncu other columns, Duration metric", in: "# steps=3\n" + `"ID","Kernel Name","Section Name","Metric Name","Metric Unit","Metric Value"` + "\n" +
			`"0","k","GPU Speed Of Light Throughput","Duration","us","3.25"` + "\n" +
			`"0","k","GPU Speed Of Light Throughput","Memory Throughput","%","80"` + "\n",
			want: []Kernel{{"k", 3250}}, steps: 3},
		{name: "torch", in: "# made by profile_torch.py\n# steps=2\nname,duration_ns\n\"void f<a, b>(int)\",1500\ng,2.5\n\n# trailing comment\nf2,0\n",
			want: []Kernel{{"void f<a, b>(int)", 1500}, {"g", 2.5}, {"f2", 0}}, steps: 2},
		{name: "ncu n/a", in: ncuHeader + ncuLine(0, "a", dur, "nsecond", "1") + ncuLine(1, "b", dur, "nsecond", "n/a"), err: `line 3: gpu__time_duration.sum value "n/a"`},
		{name: "ncu cycles", in: ncuHeader + ncuLine(0, "a", dur, "cycle", "1"), err: `line 2: gpu__time_duration.sum unit "cycle"`},
		{name: "ncu bad ID", in: ncuHeader + strings.Replace(ncuLine(0, "a", dur, "ns", "1"), `"0"`, `"x"`, 1), err: `line 2: ID "x"`},
		{name: "ncu short row", in: ncuHeader + `"0","1","debiaser"` + "\n", err: `line 2: 3 fields, no "Metric Name"`},
		{name: "ncu missing column", in: "==PROF== x\n" + `"ID","Kernel Name","Metric Name","Metric Value"` + "\n", err: `line 2: Nsight Compute header lacks column "Metric Unit"`},
		{name: "ncu no duration rows", in: ncuHeader + ncuLine(0, "a", "dram__bytes.sum", "byte", "1"), err: "no kernel rows (ncu format)"},
		{name: "torch bad value", in: "name,duration_ns\na,1\nb,fast\n", err: `line 3: duration_ns "fast"`},
		{name: "torch fields", in: "name,duration_ns\na,1,2\n", err: "line 2: 3 fields, want 2"},
		{name: "torch no rows", in: "# steps=1\nname,duration_ns\n", err: "no kernel rows (torch format)"},
		{name: "bad steps", in: "# steps=zero\nname,duration_ns\na,1\n", err: "line 1: steps=zero"},
		{name: "torch wall time", in: "# steps=1\n# wall_ms_per_step=10.5\nname,duration_ns\na,1\n", want: []Kernel{{"a", 1}}, steps: 1, wallMS: 10.5},
		{name: "bad wall time", in: "# wall_ms_per_step=-1\nname,duration_ns\na,1\n", err: "line 1: wall_ms_per_step=-1"},
		{name: "empty", in: "", err: "no header"},
		{name: "unknown header", in: "kernel,time\na,1\n", err: "no header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadKernels(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(f.Kernels) != fmt.Sprint(tc.want) || f.Steps != tc.steps || f.WallMS != tc.wallMS {
				t.Errorf("got %v steps %d wall %v, want %v steps %d wall %v", f.Kernels, f.Steps, f.WallMS, tc.want, tc.steps, tc.wallMS)
			}
		})
	}
}

// seq builds a profile: init kernels, then steps copies of body.
func seq(init string, body string, steps int) []string {
	s := strings.Fields(init)
	for range steps {
		s = append(s, strings.Fields(body)...)
	}
	return s
}

func TestStepPeriod(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		max   int
		want  int
	}{
		{"plain", seq("i1 i2", "a b c", 3), 0, 3},
		{"the brief's minimal case", strings.Fields("x a b a b"), 0, 2},
		{"one kernel repeated", strings.Fields("a a a a"), 0, 1},
		{"no repeat", strings.Fields("a b c d"), 0, 0},
		{"too short", strings.Fields("a"), 0, 0},
		{"block inside a step, step ends in it twice", seq("i1 i2 i3", "c a b a b", 4), 0, 5},
		{"block inside a step, three times", seq("i1 i2 i3", "c a b a b a b", 4), 0, 7},
		{"optimizer kernel repeated at the end", seq("init", "conv bn relu pool fc loss adam adam adam adam", 3), 0, 10},
		{"repeated block mid-step", seq("i", "x a b a b a b y", 3), 0, 8},
		{"first step differs", append(strings.Fields("i1 i2 w c a b a b"), seq("", "c a b a b", 3)...), 0, 5},
		{"profile stops inside a step", append(seq("i1 i2", "c a b a b", 4), "c", "a"), 0, 5},
		{"step is two identical halves", seq("i", "a b c a b c", 2), 0, 3},
		{"max period below the step", seq("i", "a b c d e f", 3), 4, 0},
		{"max period at the step", seq("i", "a b c d e f", 3), 6, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StepPeriod(tc.names, tc.max); got != tc.want {
				t.Errorf("StepPeriod(%v, %d) = %d, want %d", tc.names, tc.max, got, tc.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"sm90_xmma_fprop_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cudnn", "convolution"},
		{"sm90_xmma_dgrad_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_g1_execute_segment_k_off_kernel__5x_cudnn", "convolution"},
		{"sm90_xmma_wgrad_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cudnn", "convolution"},
		{"void cutlass::Kernel2<cutlass::conv::kernel::ImplicitGemmConvolution<cutlass::conv::threadblock::ImplicitGemmMultistage<...>>>(...)", "convolution"},
		{"void implicit_convolve_sgemm<float, float, 128, 5, 5, 3, 3, 3, 1, false, false, true>(int, int, int, float const*, int, float*, float const*, kernel_conv_params, unsigned long long, int, float, float, int, float const*, float const*, bool, int, int)", "convolution"},
		{"void cudnn::winograd_nonfused::winogradForwardData4x4<float, float>(cudnn::winograd_nonfused::WinogradDataParams<float, float>)", "convolution"},
		{"void cudnn::cnn::conv2d_grouped_direct_kernel<false, true, false, false, 0, 0, int, float, float, float, float, float, float>(cudnn::cnn::GroupedDirectFpropParams, float const*, float const*, float*, float, float*, float const*, float const*, float)", "convolution"},
		{"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize64x64x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas", "matmul"},
		{"ampere_bf16_s16816gemm_bf16_128x64_ldg8_f2f_stages_64x4_tn", "matmul"},
		{"void cutlass::Kernel2<cutlass_80_tensorop_bf16_s16816gemm_relu_bf16_64x64_32x6_tn_align8>(cutlass_80_tensorop_bf16_s16816gemm_relu_bf16_64x64_32x6_tn_align8::Params)", "matmul"},
		{"triton_gemm_dot_fusion", "matmul"},
		{"void cudnn::bn_fw_tr_1C11_singleread_spec<__nv_bfloat16, float, float, 512, 1, 2, 0>(cudnnTensorStruct, __nv_bfloat16 const*, cudnnTensorStruct, __nv_bfloat16*)", "batch norm"},
		{"void cudnn::bn_bw_1C11_singleread_spec<__nv_bfloat16, float, float, 512, 1, 2, 0>(float, float)", "batch norm"},
		{"void at::native::batch_norm_collect_statistics_channels_last_kernel<at::native::Var, c10::BFloat16, float, 4>(c10::BFloat16 const*, int, int, float*, float*, volatile float*, int*, float)", "batch norm"},
		{"void at::native::(anonymous namespace)::max_pool_forward_nhwc<c10::BFloat16, float>(c10::BFloat16 const*, int, long, long, long, int, int, int, int, int, int, int, int, int, int, int, int, c10::BFloat16*, long*)", "pooling"},
		{"void cudnn::pooling_fw_4d_kernel<float, float, cudnn::maxpooling_func<float, (cudnnNanPropagation_t)0>, 0, false>(cudnnTensorStruct, float const*, cudnnTensorStruct, float*, cudnnPoolingStruct, float, float, int, cudnn::reduced_divisor, cudnn::reduced_divisor)", "pooling"},
		{"select_and_scatter_3", "pooling"},
		{"SelectAndScatter", "pooling"},
		{"loop_reduce_window_fusion", "pooling"},
		{"input_reduce_fusion_3", "reduction"},
		{"reduce_12", "reduction"},
		{"void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::MeanOps<float, float, float, float>, unsigned int, float, 4> >(at::native::ReduceOp<float, at::native::MeanOps<float, float, float, float>, unsigned int, float, 4>)", "reduction"},
		{"void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float, at::native::(anonymous namespace)::LogSoftMaxForwardEpilogue>(float*, float const*, int)", "reduction"},
		{"loop_add_fusion", "elementwise"},
		{"loop_convert_fusion", "elementwise"},
		{"loop_multiply_fusion_12", "elementwise"},
		{"fusion_7", "elementwise"},
		{"wrapped_add", "elementwise"},
		{"void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, at::detail::Array<char*, 1> >(int, at::native::FillFunctor<float>, at::detail::Array<char*, 1>)", "elementwise"},
		{"void at::native::unrolled_elementwise_kernel<at::native::CUDAFunctor_add<c10::BFloat16>, at::detail::Array<char*, 3> >(int, at::native::CUDAFunctor_add<c10::BFloat16>, at::detail::Array<char*, 3>)", "elementwise"},
		{"void at::native::(anonymous namespace)::multi_tensor_apply_kernel<at::native::(anonymous namespace)::TensorListMetadata<4>, at::native::(anonymous namespace)::FusedAdamMathFunctor<float, 4, (at::native::ADAM_MODE)0, false>, bool, double>(...)", "optimizer"},
		{"fused_adam_kernel", "optimizer"},
		{"void cudnn::engines_precompiled::nchwToNhwcKernel<__nv_bfloat16, __nv_bfloat16, float, false, true, (cudnnKernelDataType_t)0>(cudnn::engines_precompiled::nchw2nhwc_params_t<float>, __nv_bfloat16 const*, __nv_bfloat16*)", "copy"},
		{"nhwcToNchwKernel", "copy"},
		{"void at::native::unrolled_elementwise_kernel<at::native::direct_copy_kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#7}::operator()() const::{lambda(float)#1}, at::detail::Array<char*, 2> >(int)", "copy"},
		{"input_transpose_fusion", "copy"},
		{"wrapped_concatenate", "copy"},
		{"copy_fusion_2", "copy"},
		{"rng_bit_generator_1", "other"},
		{"void cudnn::detail::dgrad2d_alg1_1<float, 0, 6, 7, 5, 4, 5, true, true>(int)", "convolution"},
		{"void cudnn::ops::scalePackedTensor_kernel<float, float>(cudnnTensor4dStruct, float*, float)", "convolution"},
	} {
		if got := Kind(tc.name); got != tc.want {
			t.Errorf("Kind(%.80q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func readFixture(t *testing.T, name string) KernelFile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := ReadKernels(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k
}

func TestSummarize(t *testing.T) {
	// Period: 3 init kernels and one extra, then 4 steps of 15 kernels whose
	// durations grow by 100 ns a step.
	ours := readFixture(t, "ncu_ours.csv")
	if len(ours.Kernels) != 64 || ours.Steps != 0 {
		t.Fatalf("ncu fixture: %d kernels, steps %d", len(ours.Kernels), ours.Steps)
	}
	p, err := Summarize(ours, 5000)
	if err != nil {
		t.Fatal(err)
	}
	var body float64 // one step at the mean drift of 150 ns a kernel
	for _, k := range ours.Kernels[4:19] {
		body += k.DurationNS + 150
	}
	if p.Source != "period" || p.KernelsPerStep != 15 || p.Steps != 4 || math.Abs(p.StepNS-body) > 1e-6 {
		t.Errorf("ours: %s, %d kernels, %d steps, %.1f ns; want period, 15, 4, %.1f", p.Source, p.KernelsPerStep, p.Steps, p.StepNS, body)
	}
	if conv, ok := find(p.ByKind, "convolution"); !ok || p.ByKind[0].Name != "convolution" || conv.Kernels != 6 {
		t.Errorf("ours by kind: %+v", p.ByKind)
	}
	var share float64
	for _, k := range p.ByKind {
		share += k.Share
	}
	if math.Abs(share-1) > 1e-9 || len(p.Top) != 12 {
		t.Errorf("shares sum to %v, %d distinct names (want 1, 12)", share, len(p.Top))
	}

	// Steps comment: all kernels are 2 steps.
	torch := readFixture(t, "torch_kernels.csv")
	q, err := Summarize(torch, 5000)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, k := range torch.Kernels {
		total += k.DurationNS
	}
	if q.Source != "steps comment" || q.Steps != 2 || q.KernelsPerStep != 14 || math.Abs(q.StepNS-total/2) > 1e-6 {
		t.Errorf("torch: %+v", q)
	}
	if bn, ok := find(q.ByKind, "batch norm"); !ok || bn.Kernels != 2 || math.Abs(bn.NS-(12100+17800+50)) > 1e-6 {
		t.Errorf("torch batch norm: %+v", bn)
	}

	if _, err := Summarize(KernelFile{Kernels: []Kernel{{"a", 1}, {"b", 2}}}, 100); err == nil || !strings.Contains(err.Error(), "steps=N") {
		t.Errorf("no period: %v", err)
	}
}

// TestWriteKernelTable compares the side-by-side table of the two
// fixtures with testdata/kernels.golden.txt (-regen rewrites it).
func TestWriteKernelTable(t *testing.T) {
	ours, err := Summarize(readFixture(t, "ncu_ours.csv"), 5000)
	if err != nil {
		t.Fatal(err)
	}
	torch, err := Summarize(readFixture(t, "torch_kernels.csv"), 5000)
	if err != nil {
		t.Fatal(err)
	}
	ours.WallNS = 0.6e6
	var buf bytes.Buffer
	if err := WriteKernelTable(&buf, []string{"ours", "pytorch"}, []StepProfile{ours, torch}, 5); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "kernels.golden.txt")
	if *regen {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("table changed (go test -run KernelTable -regen if intended):\n%s", buf.String())
	}
	if err := WriteKernelTable(&buf, []string{"one"}, []StepProfile{ours, torch}, 5); err == nil {
		t.Error("1 label for 2 profiles: no error")
	}
}

func ExampleSummarize() {
	profile := `# steps=2
name,duration_ns
"void cudnn::bn_fw_tr_1C11_singleread_spec<__nv_bfloat16, float>(...)",3000
sm90_xmma_fprop_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc,5000
"void cudnn::bn_fw_tr_1C11_singleread_spec<__nv_bfloat16, float>(...)",3200
sm90_xmma_fprop_implicit_gemm_bf16bf16_bf16f32_f32_nhwckrsc_nhwc,4800
`
	f, err := ReadKernels(strings.NewReader(profile))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := Summarize(f, 5000)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d kernels, %.1f us a step\n", p.KernelsPerStep, p.StepNS/1e3)
	for _, k := range p.ByKind {
		fmt.Printf("%s: %.1f us (%.0f%%)\n", k.Name, k.NS/1e3, 100*k.Share)
	}
	// Output:
	// 2 kernels, 8.0 us a step
	// convolution: 4.9 us (61%)
	// batch norm: 3.1 us (39%)
}
