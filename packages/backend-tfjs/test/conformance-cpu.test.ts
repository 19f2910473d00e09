import { describeEngine } from "@rlts/testing";
import { selectEngine } from "../src/index.js";
import { conformanceOptions } from "./conformance.js";

await selectEngine({ prefer: "cpu", log: () => {} });
describeEngine("tfjs cpu", conformanceOptions);
