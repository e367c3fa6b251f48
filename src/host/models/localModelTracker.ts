/**
 * Which local model answers, and the one asked for that has not replaced it (yet): one state,
 * changed only through the transitions below, so that the status can never name a model that
 * does not answer. Plain code: the host's backends drive it, the status reads it.
 */
import { errorMessage } from '../../common/errors';
import { modelDisplayName, type LocalModelState } from '../modelInfo';

const pendingOf = (state: 'loading' | 'failed', dir: string, error?: unknown): NonNullable<LocalModelState['pending']> => ({
  state,
  modelName: modelDisplayName(dir),
  modelPath: dir,
  ...(error !== undefined ? { error: errorMessage(error).replace(/\.$/, '') } : {}),
});

export class LocalModelTracker {
  private value: LocalModelState;

  constructor(
    answeringDir: string,
    private readonly onChange: () => void,
  ) {
    this.value = { answeringDir };
  }

  get state(): LocalModelState {
    return this.value;
  }

  private set(next: LocalModelState): void {
    this.value = next;
    this.onChange();
  }

  /** Nothing is loaded: the next request loads `dir` (a fresh engine, or new settings before any request). */
  reset(dir: string): void {
    this.set({ answeringDir: dir });
  }

  /** `dir` loads beside the model that answers. */
  switching(dir: string): void {
    this.set({ ...this.value, pending: pendingOf('loading', dir) });
  }

  /** `dir` has loaded and answers now. */
  switched(dir: string): void {
    this.set({ answeringDir: dir });
  }

  /** `dir` did not load: the model that answered still does. */
  failed(dir: string, err: unknown): void {
    this.set({ ...this.value, pending: pendingOf('failed', dir, err) });
  }

  /**
   * A request is about to load the answering folder for the first time; the returned function
   * ends that, unless the load failed meanwhile (what went wrong stays on show).
   */
  firstLoad(): () => void {
    const dir = this.value.answeringDir;
    if (this.value.pending !== undefined) {
      return () => undefined;
    }
    this.set({ answeringDir: dir, pending: pendingOf('loading', dir) });
    let open = true;
    return () => {
      const p = this.value.pending;
      if (open && p?.state === 'loading' && p.modelPath === dir && this.value.answeringDir === dir) {
        this.set({ answeringDir: dir });
      }
      open = false;
    };
  }

  /** The engine loaded the answering folder after a failed first load (a later request retried it). */
  answeringLoaded(): void {
    const p = this.value.pending;
    if (p?.state === 'failed' && p.modelPath === this.value.answeringDir) {
      this.set({ answeringDir: this.value.answeringDir });
    }
  }
}
