import { createHash, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { JOB_MESSAGE_MAX_BYTES } from "../../components/job-queue-settings";
import { LOCAL_AWS } from "../iam/local-account";

/**
 * An SQS standard queue in memory, with the semantics the worker relies on, as the SQS Developer Guide
 * documents them:
 * - a received message stays invisible for the visibility timeout and comes back unless deleted;
 * - every receive counts (ApproximateReceiveCount); a message received `maxReceiveCount` times moves to
 *   the dead-letter queue when it would be received once more (redrive policy);
 * - a message is at most the queue's MaximumMessageSize, body and attributes together (the stack sets
 *   JOB_MESSAGE_MAX_BYTES, 256 KiB, on its queues), and its body holds only the characters SQS allows
 *   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html);
 * - managed redrive moves messages from the DLQ back at a rate of at most 500 per second
 *   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
 */
/** SQS's default MessageRetentionPeriod: 4 days. */
const DEFAULT_RETENTION_SECONDS = 345_600;
const SAVE_DELAY_MS = 50;

export const SQS_LIMITS = { maxMessageBytes: JOB_MESSAGE_MAX_BYTES, maxMoveRate: 500, defaultMoveRate: 500 } as const;

/** Characters SQS accepts in a message: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. */
const REFUSED_CHARACTER = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

export interface QueueMessage {
  messageId: string;
  body: string;
  /** String message attributes (what API Gateway sets: jobId, owner, connectionId). */
  attributes: Record<string, string>;
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
}

/** A receive: the message and the handle that deletes it (valid until it becomes visible again). */
export interface ReceivedMessage extends QueueMessage {
  receiptHandle: string;
}

/** SQS refused the request; `code` is SQS's error code. */
export class QueueError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface MoveTask {
  taskHandle: string;
  status: "RUNNING" | "COMPLETED" | "CANCELLED" | "FAILED";
  sourceArn: string;
  destinationArn: string;
  maxNumberOfMessagesPerSecond: number;
  approximateNumberOfMessagesMoved: number;
  approximateNumberOfMessagesToMove: number;
  startedTimestamp: number;
}

interface Stored extends QueueMessage {
  visibleAt: number;
  receiptHandle?: string;
}

export class LocalQueue extends EventEmitter {
  readonly arn: string;
  private messages: Stored[] = [];
  readonly moveTasks: MoveTask[] = [];
  private timer?: NodeJS.Timeout;

  private saving?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    readonly settings: {
      visibilityTimeoutSeconds: number;
      redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
      /** Where the queue keeps its messages across restarts (owner-only); unset: in memory only. */
      file?: string;
      /** How long SQS keeps a message (MessageRetentionPeriod); older ones are dropped. @default 4 days */
      retentionSeconds?: number;
    },
  ) {
    super();
    this.arn = `arn:aws:sqs:${LOCAL_AWS.region}:${LOCAL_AWS.account}:${name}`;
    if (settings.file && existsSync(settings.file)) {
      // A message that was in flight when the platform stopped comes back when its visibility timeout ends, as in SQS.
      let kept: unknown;
      try {
        kept = JSON.parse(readFileSync(settings.file, "utf8"));
      } catch (error) {
        throw new Error(`${settings.file} holds no queue (${(error as Error).message}): delete it to start the queue empty.`);
      }
      if (!Array.isArray(kept)) throw new Error(`${settings.file} holds no queue (not a list): delete it to start the queue empty.`);
      this.messages = (kept as Stored[]).filter((message) => !this.expired(message));
      this.schedule();
    }
  }

  private expired(message: Stored, now = Date.now()): boolean {
    return now - message.sentTimestamp > (this.settings.retentionSeconds ?? DEFAULT_RETENTION_SECONDS) * 1000;
  }

  /** Writes the messages soon (within SAVE_DELAY_MS): a crash loses at most that much, as a clean stop loses nothing. */
  private changed(): void {
    if (!this.settings.file || this.saving) return;
    this.saving = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  private save(): void {
    clearTimeout(this.saving);
    this.saving = undefined;
    const file = this.settings.file;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.partial`;
    writeFileSync(partial, JSON.stringify(this.messages), { mode: 0o600 });
    renameSync(partial, file);
  }

  send(body: string, attributes: Record<string, string> = {}): { messageId: string; md5OfMessageBody: string } {
    if (body.length === 0) throw new QueueError("MissingParameter", "The request must contain the parameter MessageBody.");
    // SQS counts the body and each attribute's name, data type ("String") and value.
    const bytes =
      Buffer.byteLength(body) +
      Object.entries(attributes).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v) + 6, 0);
    if (bytes > SQS_LIMITS.maxMessageBytes) {
      throw new QueueError(
        "InvalidParameterValue",
        `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_LIMITS.maxMessageBytes} bytes.`,
      );
    }
    for (const text of [body, ...Object.values(attributes)]) {
      if (REFUSED_CHARACTER.test(text)) {
        throw new QueueError(
          "InvalidMessageContents",
          "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        );
      }
    }
    const message: Stored = {
      messageId: randomUUID(),
      body,
      attributes: { ...attributes },
      sentTimestamp: Date.now(),
      receiveCount: 0,
      visibleAt: 0,
    };
    this.store(message);
    return { messageId: message.messageId, md5OfMessageBody: createHash("md5").update(body).digest("hex") };
  }

  /** Up to `max` visible messages (and at most `maxBytes` of bodies), each now invisible for the visibility timeout. */
  receive(max: number, maxBytes = Infinity): ReceivedMessage[] {
    const now = Date.now();
    const received: ReceivedMessage[] = [];
    let bytes = 0;
    for (const message of [...this.messages]) {
      if (received.length >= max) break;
      if (this.expired(message, now)) {
        this.remove(message);
        continue;
      }
      if (message.visibleAt > now) continue;
      bytes += Buffer.byteLength(message.body) + 1024; // the record's other fields
      if (received.length > 0 && bytes > maxBytes) break;
      const redrive = this.settings.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        this.remove(message);
        redrive.deadLetterQueue.store({ ...message, visibleAt: 0, receiptHandle: undefined });
        continue;
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + this.settings.visibilityTimeoutSeconds * 1000;
      message.receiptHandle = randomUUID();
      received.push({ ...message, attributes: { ...message.attributes }, receiptHandle: message.receiptHandle });
    }
    this.changed();
    this.schedule();
    return received;
  }

  /** Deletes a received message; a stale handle (the message was received again since) deletes nothing, as in SQS. */
  delete(receiptHandle: string): void {
    const message = this.messages.find((candidate) => candidate.receiptHandle === receiptHandle);
    if (message) this.remove(message);
  }

  counts(): { visible: number; inFlight: number } {
    const now = Date.now();
    const visible = this.messages.filter((message) => message.visibleAt <= now).length;
    return { visible, inFlight: this.messages.length - visible };
  }

  /**
   * StartMessageMoveTask from this queue (a DLQ) to `destination`: the visible messages, oldest first, at
   * most `rate` per second. Moved messages are new messages in the destination: their receive count starts again.
   */
  startMoveTask(destination: LocalQueue, rate: number = SQS_LIMITS.defaultMoveRate): MoveTask {
    if (!Number.isInteger(rate) || rate < 1 || rate > SQS_LIMITS.maxMoveRate) {
      throw new QueueError(
        "InvalidParameterValue",
        `Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be between 1 and ${SQS_LIMITS.maxMoveRate}.`,
      );
    }
    if (this.moveTasks.some((task) => task.status === "RUNNING")) {
      throw new QueueError(
        "UnsupportedOperation",
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
      );
    }
    const toMove = this.messages.filter((message) => message.visibleAt <= Date.now());
    const task: MoveTask = {
      taskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: this.arn })).toString("base64"),
      status: "RUNNING",
      sourceArn: this.arn,
      destinationArn: destination.arn,
      maxNumberOfMessagesPerSecond: rate,
      approximateNumberOfMessagesMoved: 0,
      approximateNumberOfMessagesToMove: toMove.length,
      startedTimestamp: Date.now(),
    };
    this.moveTasks.unshift(task);
    const step = () => {
      for (const message of toMove.splice(0, rate)) {
        if (!this.messages.includes(message)) continue;
        this.remove(message);
        destination.send(message.body, message.attributes);
        task.approximateNumberOfMessagesMoved++;
      }
      if (toMove.length === 0) task.status = "COMPLETED";
      else setTimeout(step, 1000).unref();
    };
    step();
    return task;
  }

  /** Stops the timer that announces messages becoming visible again, and keeps what is queued. */
  close(): void {
    clearTimeout(this.timer);
    if (this.saving) this.save();
    this.removeAllListeners();
  }

  private store(message: Stored): void {
    this.messages.push(message);
    this.changed();
    this.emit("visible");
  }

  private remove(message: Stored): void {
    this.messages.splice(this.messages.indexOf(message), 1);
    this.changed();
  }

  /**
   * Emits "visible" when the next invisible message becomes visible again. A timer counts on the event
   * loop's own clock (whole milliseconds of a monotonic clock), not Date.now(), and now and then fires a
   * millisecond before Date.now() reaches its time (1 timer in 300 on this machine): it then waits again
   * rather than announce a message that is not visible yet, since a listener that found nothing, and a
   * clock that passed `next` meanwhile, would leave the message unannounced for good.
   */
  private schedule(): void {
    clearTimeout(this.timer);
    const now = Date.now();
    // A loop, not Math.min(...): spread arguments overflow the stack at a few hundred thousand messages.
    let next = Number.POSITIVE_INFINITY;
    for (const { visibleAt } of this.messages) if (visibleAt > now && visibleAt < next) next = visibleAt;
    if (!Number.isFinite(next)) return;
    this.timer = setTimeout(() => {
      if (Date.now() >= next) this.emit("visible");
      this.schedule();
    }, next - now).unref();
  }
}
