import { startCalibrationServer } from "./lib/node/calibrate/server.ts";
const s = await startCalibrationServer({ log: false, port: 18111 } as any);
console.log(s.address);
setTimeout(() => { s.stop(); process.exit(0); }, 20 * 60 * 1000);
