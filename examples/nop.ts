/**
 * The smallest complete ringside program: set up a ring, submit one NOP, print its completion.
 *
 *   bun examples/nop.ts
 *   deno run -A examples/nop.ts
 *
 * @module
 */
import { Ring } from "ringside-uring/ring";
import { prepNop } from "ringside-uring/prep";
import { sqeSetData } from "ringside-uring/ring";

const ring = new Ring(8);
const sqe = ring.getSqe()!; // a fresh ring always has a free SQE
prepNop(sqe);
sqeSetData(sqe, 42);
ring.submitAndWait(1);
ring.forEachCqe((userData, res, flags) => {
  console.log(`NOP completed: user_data=${userData} res=${res} flags=${flags}`);
});
ring.close();
