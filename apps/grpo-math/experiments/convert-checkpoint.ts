// Experiment helper: rewrites a warm-up snapshot saved before the warm-up used the trainer's model
// format (metadata { model, tokenizer }) as a `saveModelCheckpoint` file.
//   tsx --conditions=@rlts/source experiments/convert-checkpoint.ts <in> <out>
import "reflect-metadata";
import {
  CharTokenizer,
  type CharTokenizerJson,
  type GptConfig,
  GptModel,
  loadCheckpoint,
  readCheckpointManifest,
  selectEngine,
} from "@rlts/backend-tfjs";
import { saveModelCheckpoint } from "@rlts/trainer";

const [input, output] = process.argv.slice(2);
await selectEngine();
const meta = (await readCheckpointManifest(input)).metadata as {
  model: GptConfig;
  tokenizer: CharTokenizerJson;
};
const model = new GptModel({ ...meta.model, optimizer: { lr: 1e-3 } });
const { step } = await loadCheckpoint(input, model);
await saveModelCheckpoint(output, { model, tokenizer: CharTokenizer.fromJSON(meta.tokenizer) }, { step });
console.log(`wrote ${output} (step ${step})`);
