// A tiny BERT-shaped model that Transformers.js can load for `feature-extraction`, built
// from nothing (no download): config.json, a WordPiece tokenizer.json, tokenizer_config.json
// and onnx/model.onnx, a one-node ONNX graph (Gather over an embedding initializer), so the
// output is deterministic and computable here. Loaded by the Transformers.js e2e test and
// the bench; the protobuf bytes are written by hand below.
import { createHash } from 'node:crypto';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
export const WORDS = ['hello', 'world', 'cross', 'origin', 'storage', 'shares', 'one', 'copy', 'of', 'a',
  'model', 'the', 'browser', 'site', 'file', 'by', 'hash', '##s', '##ed', '##ing'];
export const VOCAB = [...SPECIAL_TOKENS, ...WORDS];

// ---- protobuf wire format (only what ModelProto needs) ----
function varint(n) {
  let v = BigInt(n);
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return Buffer.from(out);
}
const tag = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => Buffer.concat([tag(field, 0), varint(n)]);
const bytes = (field, buf) => Buffer.concat([tag(field, 2), varint(buf.length), buf]);
const str = (field, s) => bytes(field, Buffer.from(s, 'utf8'));
const msg = (field, ...parts) => bytes(field, Buffer.concat(parts));

const FLOAT = 1;
const INT64 = 7;

/** TypeProto.Tensor with symbolic or fixed dims: dims like ['batch', 'sequence', 8]. */
function valueInfo(field, name, elemType, dims) {
  const shape = Buffer.concat(dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  return msg(field, str(1, name), msg(2, msg(1, int(1, elemType), bytes(2, shape))));
}

/** The embedding table: row i, column j (deterministic, distinct per token). */
export function embeddingValue(i, j) {
  return Math.fround(Math.sin(i * 1.7 + j * 0.31) + (i % 5) * 0.01);
}

/**
 * ModelProto bytes: last_hidden_state = Gather(embeddings, input_ids), opset 13.
 * attention_mask and token_type_ids are declared (BERT feature extraction feeds them) and unused.
 * @param {{hidden?: number}} [options] width of each embedding row (model size = 25 * hidden * 4 bytes)
 */
export function tinyOnnx({ hidden = 8 } = {}) {
  const table = new Float32Array(VOCAB.length * hidden);
  for (let i = 0; i < VOCAB.length; i++) for (let j = 0; j < hidden; j++) table[i * hidden + j] = embeddingValue(i, j);
  const initializer = msg(5,
    int(1, VOCAB.length), int(1, hidden), int(2, FLOAT), str(8, 'embeddings'),
    bytes(9, Buffer.from(table.buffer, table.byteOffset, table.byteLength)));
  const node = msg(1, str(1, 'embeddings'), str(1, 'input_ids'), str(2, 'last_hidden_state'),
    str(3, 'embed'), str(4, 'Gather'), msg(5, str(1, 'axis'), int(3, 0), int(20, 2 /* INT */)));
  const graph = msg(7,
    node,
    str(2, 'tiny-bert'),
    initializer,
    valueInfo(11, 'input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo(11, 'attention_mask', INT64, ['batch_size', 'sequence_length']),
    valueInfo(11, 'token_type_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hidden]));
  return Buffer.concat([int(1, 8), str(2, 'cos-polyfill tiny-model'), graph, msg(8, str(1, ''), int(2, 13))]);
}

export function tinyTokenizer() {
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const ids = Object.fromEntries(VOCAB.map((t, i) => [t, i]));
  const spec = (name) => ({ id: name, ids: [ids[name]], tokens: [name] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t, i) => special(i, t)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': spec('[CLS]'), '[SEP]': spec('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: ids },
  };
}

/**
 * Every file of the model repository, as the Hub would hold it.
 * @param {{hidden?: number}} [options]
 * @returns {Record<string, Buffer>} path inside the repo → bytes
 */
export function tinyModelFiles({ hidden = 8 } = {}) {
  const json = (o) => Buffer.from(`${JSON.stringify(o, null, 2)}\n`);
  return {
    'config.json': json({
      architectures: ['BertModel'], model_type: 'bert', hidden_size: hidden, vocab_size: VOCAB.length,
      num_attention_heads: 1, num_hidden_layers: 1, intermediate_size: hidden, max_position_embeddings: 64,
      type_vocab_size: 2, pad_token_id: 0,
    }),
    'tokenizer.json': json(tinyTokenizer()),
    'tokenizer_config.json': json({
      tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64,
      cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]',
      clean_up_tokenization_spaces: true,
    }),
    'onnx/model.onnx': tinyOnnx({ hidden }),
  };
}

/**
 * What `feature-extraction` with {pooling: 'mean', normalize: true} must return for a text
 * made only of whole vocabulary words (lowercase, spaces): [CLS] words [SEP], mean of their
 * embedding rows, L2-normalised.
 */
export function expectedEmbedding(text, { hidden = 8 } = {}) {
  const tokens = ['[CLS]', ...text.toLowerCase().split(/\s+/).filter(Boolean), '[SEP]'];
  const mean = new Float64Array(hidden);
  for (const t of tokens) {
    const i = VOCAB.indexOf(t);
    if (i < 0) throw new Error(`not a whole vocabulary word: ${t}`);
    for (let j = 0; j < hidden; j++) mean[j] += embeddingValue(i, j) / tokens.length;
  }
  const norm = Math.hypot(...mean);
  return [...mean].map((v) => v / norm);
}

export const sha256Hex = (buf) => createHash('sha256').update(buf).digest('hex');
