"""Generated from content/ by scripts/build_content.py: edit the sources, not this file.

For own mode (tinytorch/own.py), per course module in order: the learner's notebook, the package
module its `#| export` cells make, the module's title, its check cells as (index in the notebook,
source), and the names those cells use that the exported cells do not define (own.py stands them in).
"""
MODULES = [{'notebook': '01_tensor',
  'module': 'tinytorch.core.tensor',
  'title': 'Tensor',
  'check_cells': [(5, 'from tinytorch.checks.tensor import check_creation\n\ncheck_creation(Tensor)'),
                  (12, 'from tinytorch.checks.tensor import check_arithmetic\n\ncheck_arithmetic(Tensor)'),
                  (17, 'from tinytorch.checks.tensor import check_matmul\n\ncheck_matmul(Tensor)'),
                  (24, 'from tinytorch.checks.tensor import check_shape_ops\n\ncheck_shape_ops(Tensor)'),
                  (29, 'from tinytorch.checks.tensor import check_reductions\n\ncheck_reductions(Tensor)'),
                  (34, 'from tinytorch.checks.tensor import check_indexing\n\ncheck_indexing(Tensor)')],
  'notebook_names': []},
 {'notebook': '02_activations',
  'module': 'tinytorch.core.activations',
  'title': 'Activations',
  'check_cells': [(5, 'from tinytorch.checks.activations import check_relu\n\ncheck_relu(ReLU)'),
                  (10, 'from tinytorch.checks.activations import check_sigmoid\n\ncheck_sigmoid(Sigmoid)'),
                  (15, 'from tinytorch.checks.activations import check_tanh\n\ncheck_tanh(Tanh)'),
                  (20, 'from tinytorch.checks.activations import check_erf\n\ncheck_erf(erf)'),
                  (25, 'from tinytorch.checks.activations import check_gelu\n\ncheck_gelu(GELU)'),
                  (30, 'from tinytorch.checks.activations import check_softmax\n\ncheck_softmax(Softmax)')],
  'notebook_names': []},
 {'notebook': '03_layers',
  'module': 'tinytorch.core.layers',
  'title': 'Layers',
  'check_cells': [(5, 'from tinytorch.checks.layers import check_module\n\ncheck_module(Module, Parameter)'),
                  (10, 'from tinytorch.checks.layers import check_linear\n\ncheck_linear(Linear)'),
                  (17,
                   'from tinytorch.checks.layers import check_sequential\n'
                   '\n'
                   'check_sequential(Sequential, ModuleList, Linear, ReLU)'),
                  (22, 'from tinytorch.checks.layers import check_dropout\n\ncheck_dropout(Dropout, Module)'),
                  (27,
                   'from tinytorch.checks.layers import check_state_dict\n\ncheck_state_dict(Sequential, Linear)')],
  'notebook_names': ['ReLU']},
 {'notebook': '04_losses',
  'module': 'tinytorch.core.losses',
  'title': 'Losses',
  'check_cells': [(5, 'from tinytorch.checks.losses import check_mse_loss\n\ncheck_mse_loss(MSELoss)'),
                  (10, 'from tinytorch.checks.losses import check_log_softmax\n\ncheck_log_softmax(log_softmax)'),
                  (15,
                   'from tinytorch.checks.losses import check_cross_entropy_loss\n'
                   '\n'
                   'check_cross_entropy_loss(CrossEntropyLoss)'),
                  (20,
                   'from tinytorch.checks.losses import check_bce_with_logits_loss\n'
                   '\n'
                   'check_bce_with_logits_loss(BCEWithLogitsLoss)')],
  'notebook_names': []},
 {'notebook': '05_dataloader',
  'module': 'tinytorch.core.dataloader',
  'title': 'DataLoader',
  'check_cells': [(5,
                   'from tinytorch.checks.dataloader import check_tensor_dataset\n'
                   '\n'
                   'check_tensor_dataset(TensorDataset)'),
                  (10, 'from tinytorch.checks.dataloader import check_collate\n\ncheck_collate(default_collate)'),
                  (15, 'from tinytorch.checks.dataloader import check_batching\n\ncheck_batching(DataLoader)'),
                  (16, 'from tinytorch.checks.dataloader import check_shuffling\n\ncheck_shuffling(DataLoader)')],
  'notebook_names': []},
 {'notebook': '06_autograd',
  'module': 'tinytorch.core.autograd',
  'title': 'Autograd',
  'check_cells': [(7, 'from tinytorch.checks.autograd import check_unbroadcast\n\ncheck_unbroadcast(unbroadcast)'),
                  (12,
                   'from tinytorch.checks.autograd import check_arithmetic_backward\n'
                   '\n'
                   'check_arithmetic_backward(AddBackward0, SubBackward0, MulBackward0, DivBackward0)'),
                  (17,
                   'from tinytorch.checks.autograd import check_matmul_and_sum_backward\n'
                   '\n'
                   'check_matmul_and_sum_backward(MmBackward0, SumBackward0)'),
                  (24,
                   'from tinytorch.checks.autograd import check_fused_backward\n'
                   '\n'
                   'check_fused_backward(SigmoidBackward0, CrossEntropyLossBackward0)'),
                  (29,
                   'from tinytorch.checks.autograd import check_topological_order\n'
                   '\n'
                   'check_topological_order(topological_order)'),
                  (33,
                   'enable_autograd()\n'
                   '\n'
                   'from tinytorch.checks.autograd import check_autograd_engine\n'
                   '\n'
                   'check_autograd_engine(Tensor, no_grad)')],
  'notebook_names': []},
 {'notebook': '07_optimizers',
  'module': 'tinytorch.core.optimizers',
  'title': 'Optimizers',
  'check_cells': [(5,
                   'from tinytorch.checks.optimizers import check_optimizer_base\n'
                   '\n'
                   'check_optimizer_base(Optimizer)'),
                  (10, 'from tinytorch.checks.optimizers import check_sgd\n\ncheck_sgd(SGD)'),
                  (15, 'from tinytorch.checks.optimizers import check_sgd_momentum\n\ncheck_sgd_momentum(SGD)'),
                  (20, 'from tinytorch.checks.optimizers import check_adam\n\ncheck_adam(Adam)'),
                  (25, 'from tinytorch.checks.optimizers import check_adamw\n\ncheck_adamw(AdamW)')],
  'notebook_names': []},
 {'notebook': '08_training',
  'module': 'tinytorch.core.training',
  'title': 'Training',
  'check_cells': [(6, 'from tinytorch.checks.training import check_train_step\n\ncheck_train_step(train_epoch)'),
                  (11, 'from tinytorch.checks.training import check_evaluate\n\ncheck_evaluate(evaluate)'),
                  (16,
                   'from tinytorch.checks.training import check_clip_grad_norm\n'
                   '\n'
                   'check_clip_grad_norm(clip_grad_norm_, train_epoch)'),
                  (21,
                   'from tinytorch.checks.training import check_cosine_annealing\n'
                   '\n'
                   'check_cosine_annealing(CosineAnnealingLR)'),
                  (26, 'from tinytorch.checks.training import check_trainer\n\ncheck_trainer(Trainer)'),
                  (33,
                   'from tinytorch.checks.training import check_checkpoint\n'
                   '\n'
                   'check_checkpoint(save_checkpoint, load_checkpoint)')],
  'notebook_names': []},
 {'notebook': '09_convolutions',
  'module': 'tinytorch.core.convolutions',
  'title': 'Convolutions',
  'check_cells': [(5,
                   'from tinytorch.checks.convolutions import check_conv2d_loops\n'
                   '\n'
                   'check_conv2d_loops(conv2d_loops)'),
                  (10,
                   'from tinytorch.checks.convolutions import check_im2col_conv\n'
                   '\n'
                   'check_im2col_conv(im2col, conv2d_forward)'),
                  (15, 'from tinytorch.checks.convolutions import check_conv2d\n\ncheck_conv2d(conv2d, Conv2d)'),
                  (20,
                   'from tinytorch.checks.convolutions import check_pooling\n'
                   '\n'
                   'check_pooling(max_pool2d, avg_pool2d)'),
                  (25,
                   'from tinytorch.checks.convolutions import check_batch_norm\n'
                   '\n'
                   'check_batch_norm(batch_norm, BatchNorm2d)')],
  'notebook_names': []},
 {'notebook': '10_tokenization',
  'module': 'tinytorch.core.tokenization',
  'title': 'Tokenization',
  'check_cells': [(5,
                   'from tinytorch.checks.tokenization import check_char_tokenizer\n'
                   '\n'
                   'check_char_tokenizer(CharTokenizer)'),
                  (10,
                   'from tinytorch.checks.tokenization import check_count_pairs\n\ncheck_count_pairs(count_pairs)'),
                  (15,
                   'from tinytorch.checks.tokenization import check_merge_pair\n\ncheck_merge_pair(merge_pair)'),
                  (20,
                   'from tinytorch.checks.tokenization import check_bpe_tokenizer\n'
                   '\n'
                   'check_bpe_tokenizer(BPETokenizer)')],
  'notebook_names': []},
 {'notebook': '11_embeddings',
  'module': 'tinytorch.core.embeddings',
  'title': 'Embeddings',
  'check_cells': [(5,
                   'from tinytorch.checks.embeddings import check_embedding_lookup\n'
                   '\n'
                   'check_embedding_lookup(embedding)'),
                  (12,
                   'from tinytorch.checks.embeddings import check_embedding_gradient\n'
                   '\n'
                   'check_embedding_gradient(embedding)'),
                  (17,
                   'from tinytorch.checks.embeddings import check_embedding_module\n'
                   '\n'
                   'check_embedding_module(Embedding)'),
                  (22,
                   'from tinytorch.checks.embeddings import check_learned_positions, check_sinusoidal\n'
                   '\n'
                   'check_sinusoidal(sinusoidal_positional_encoding)\n'
                   'check_learned_positions(LearnedPositionalEmbedding)')],
  'notebook_names': []},
 {'notebook': '12_attention',
  'module': 'tinytorch.core.attention',
  'title': 'Attention',
  'check_cells': [(5,
                   'from tinytorch.checks.attention import check_attention_scores\n'
                   '\n'
                   'check_attention_scores(attention_scores)'),
                  (12,
                   'from tinytorch.checks.attention import check_masks\n'
                   '\n'
                   'check_masks(causal_mask, attention_bias)'),
                  (18,
                   'from tinytorch.checks.attention import check_scaled_dot_product_attention\n'
                   '\n'
                   'check_scaled_dot_product_attention(scaled_dot_product_attention)'),
                  (23,
                   'from tinytorch.checks.attention import check_heads, check_multihead_attention\n'
                   '\n'
                   'check_heads(split_heads, merge_heads)\n'
                   'check_multihead_attention(MultiheadAttention)')],
  'notebook_names': []},
 {'notebook': '13_transformers',
  'module': 'tinytorch.core.transformers',
  'title': 'Transformers',
  'check_cells': [(5,
                   'from tinytorch.checks.transformers import check_layer_norm\n'
                   '\n'
                   'check_layer_norm(layer_norm, LayerNorm)'),
                  (10,
                   'from tinytorch.checks.transformers import check_transformer_block\n'
                   '\n'
                   'check_transformer_block(TransformerBlock)'),
                  (15, 'from tinytorch.checks.transformers import check_gpt\n\ncheck_gpt(GPT)'),
                  (20, 'from tinytorch.checks.transformers import check_sampling\n\ncheck_sampling(sample_next)')],
  'notebook_names': []},
 {'notebook': '14_profiling',
  'module': 'tinytorch.core.profiling',
  'title': 'Profiling',
  'check_cells': [(5, 'from tinytorch.checks.profiling import check_recorder\n\ncheck_recorder(_Recorder)'),
                  (12, 'from tinytorch.checks.profiling import check_profile\n\ncheck_profile(profile)'),
                  (17,
                   'from tinytorch.checks.profiling import check_flops\n'
                   '\n'
                   'check_flops(linear_flops, conv2d_flops, attention_flops)'),
                  (22, 'from tinytorch.checks.profiling import check_amdahl\n\ncheck_amdahl(amdahl)')],
  'notebook_names': []},
 {'notebook': '15_quantization',
  'module': 'tinytorch.core.quantization',
  'title': 'Quantization',
  'check_cells': [(5,
                   'from tinytorch.checks.quantization import check_calculate_qparams\n'
                   '\n'
                   'check_calculate_qparams(calculate_qparams)'),
                  (10,
                   'from tinytorch.checks.quantization import check_quantize_per_tensor\n'
                   '\n'
                   'check_quantize_per_tensor(quantize_per_tensor)'),
                  (17,
                   'from tinytorch.checks.quantization import check_quantize_per_channel\n'
                   '\n'
                   'check_quantize_per_channel(quantize_per_channel)'),
                  (22,
                   'from tinytorch.checks.quantization import check_observer\n\ncheck_observer(MinMaxObserver)'),
                  (29,
                   'from tinytorch.checks.quantization import check_dynamic_linear\n'
                   '\n'
                   'check_dynamic_linear(DynamicQuantizedLinear)'),
                  (31,
                   'from tinytorch.checks.quantization import check_quantize_dynamic\n'
                   '\n'
                   'check_quantize_dynamic(quantize_dynamic)')],
  'notebook_names': []},
 {'notebook': '16_compression',
  'module': 'tinytorch.core.compression',
  'title': 'Compression',
  'check_cells': [(5, 'from tinytorch.checks.compression import check_l1_mask\n\ncheck_l1_mask(L1Unstructured)'),
                  (10,
                   'from tinytorch.checks.compression import check_reparametrization\n'
                   '\n'
                   'check_reparametrization(reparametrize, L1Unstructured)'),
                  (15,
                   'from tinytorch.checks.compression import check_ln_structured\n'
                   '\n'
                   'check_ln_structured(LnStructured)'),
                  (20,
                   'from tinytorch.checks.compression import check_distillation_loss\n'
                   '\n'
                   'check_distillation_loss(distillation_loss)')],
  'notebook_names': []},
 {'notebook': '17_acceleration',
  'module': 'tinytorch.core.acceleration',
  'title': 'Acceleration',
  'check_cells': [(11,
                   'from tinytorch.checks.acceleration import check_mm_backward\n\ncheck_mm_backward(MmBackward0)'),
                  (16,
                   'from tinytorch.checks.acceleration import check_linear\n'
                   '\n'
                   'check_linear(linear, AddmmBackward0)'),
                  (21, 'from tinytorch.checks.acceleration import check_contiguous\n\ncheck_contiguous(Tensor)'),
                  (28,
                   'from tinytorch.checks.acceleration import check_checkpoint\n\ncheck_checkpoint(checkpoint)')],
  'notebook_names': []},
 {'notebook': '18_memoization',
  'module': 'tinytorch.core.memoization',
  'title': 'Memoization',
  'check_cells': [(5, 'from tinytorch.checks.memoization import check_kv_cache\n\ncheck_kv_cache(KVCache)'),
                  (10,
                   'from tinytorch.checks.memoization import check_cached_attention\n'
                   '\n'
                   'check_cached_attention(CausalSelfAttention, KVCache)'),
                  (15,
                   'from tinytorch.checks.memoization import check_cached_gpt\n\ncheck_cached_gpt(GPT, KVCache)'),
                  (20, 'from tinytorch.checks.memoization import check_generate\n\ncheck_generate(GPT)')],
  'notebook_names': []},
 {'notebook': '19_benchmarking',
  'module': 'tinytorch.core.benchmarking',
  'title': 'Benchmarking',
  'check_cells': [(5,
                   'from tinytorch.checks.benchmarking import check_clock_resolution\n'
                   '\n'
                   'check_clock_resolution(clock_resolution)'),
                  (12,
                   'from tinytorch.checks.benchmarking import check_measurement, check_median_ci\n'
                   '\n'
                   'check_measurement(Measurement, TaskSpec)\n'
                   'check_median_ci(median_ci)'),
                  (17, 'from tinytorch.checks.benchmarking import check_timer\n\ncheck_timer(Timer)'),
                  (24,
                   'from tinytorch.checks.benchmarking import check_ab_test\n'
                   '\n'
                   'check_ab_test(ab_test, Measurement, TaskSpec)')],
  'notebook_names': []},
 {'notebook': '20_capstone',
  'module': 'tinytorch.core.capstone',
  'title': 'Capstone',
  'check_cells': [(5,
                   'from tinytorch.checks.capstone import check_latency_percentiles\n'
                   '\n'
                   'check_latency_percentiles(latency_percentiles)'),
                  (10,
                   'from tinytorch.checks.capstone import check_measure_latency\n'
                   '\n'
                   'check_measure_latency(measure_latency)'),
                  (15,
                   'from tinytorch.checks.capstone import check_model_size\n\ncheck_model_size(model_size_bytes)'),
                  (20,
                   'from tinytorch.checks.capstone import check_json_types, check_object_errors\n'
                   '\n'
                   'check_json_types(_json_type_matches)\n'
                   'check_object_errors(_object_errors)')],
  'notebook_names': []}]
