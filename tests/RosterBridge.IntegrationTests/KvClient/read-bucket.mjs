// Reads one node's keys of a KV bucket with nats.js, as any KV user would, and prints them as JSON:
//   node read-bucket.mjs URL BUCKET NODE [KEY...]
// "keys": every key kv.keys() lists under NODE.> (deleted ones are not listed), each with kv.get();
// "gets": kv.get() of each KEY named (a deleted key is an entry whose operation is DEL; null: never written);
// "watched": what a watcher of NODE.> gets first (the last entry of each key, deletes included).
import { connect } from "nats";

const [url, bucket, node, ...named] = process.argv.slice(2);
const nc = await connect({ servers: url, timeout: 10_000 });
const entry = (e) =>
  e === null ? null : {
    key: e.key,
    operation: e.operation,
    revision: e.revision,
    value: e.operation === "PUT" ? Buffer.from(e.value).toString("utf8") : null,
  };
try {
  const kv = await nc.jetstream().views.kv(bucket, { bindOnly: true });
  const listed = [];
  for await (const key of await kv.keys(`${node}.>`)) {
    listed.push(key); // first the whole list: a get while the listing runs would cut it short
  }

  const keys = {};
  for (const key of listed) {
    keys[key] = entry(await kv.get(key));
  }

  const gets = {};
  for (const key of named) {
    gets[key] = entry(await kv.get(key));
  }

  const watched = {};
  const watch = await kv.watch({ key: `${node}.>` });
  const quiet = setTimeout(() => watch.stop(), 3000); // no entries at all: nothing comes
  for await (const e of watch) {
    watched[e.key] = entry(e);
    if (e.delta === 0) {
      break; // the last of the initial values
    }
  }
  clearTimeout(quiet);
  process.stdout.write(JSON.stringify({ keys, gets, watched }) + "\n");
} finally {
  await nc.close();
}
