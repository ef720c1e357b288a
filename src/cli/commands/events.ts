import type { CommandGroup } from "../args.ts";
import { eventsTailCommand } from "./events-tail.ts";

/** `kube-lookout events`: commands that read kube-lookout's change events from NATS. */
export const eventsGroup: CommandGroup = {
  name: "events",
  short: "Change events on NATS: 'events tail' follows them.",
  summary:
    "Read the change events kube-lookout publishes to NATS JetStream (CloudEvents 1.0, one " +
    "subject per object and change; see docs/events.md).",
  subcommands: [eventsTailCommand],
};
