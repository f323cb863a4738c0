import { describeOperation, type Operation } from '@simplecm/domain';
import { SimpleCmError } from '@simplecm/kernel';

/** Why a modules directory could not be loaded. */
export type ModuleLoadErrorCode = 'modules-dir-unreadable' | 'invalid-module' | 'invalid-template';

/**
 * A module on disk is unusable. The message starts with the file (and the field inside it when
 * there is one), so whoever edits modules sees where to look.
 */
export class ModuleLoadError extends SimpleCmError<ModuleLoadErrorCode> {
  override readonly name = 'ModuleLoadError';
  readonly code: ModuleLoadErrorCode;
  /** The file (or directory) at fault. */
  readonly file: string;
  /** Dotted path of the bad field in module.json (`attributes.path.type`), else null. */
  readonly field: string | null;

  constructor(code: ModuleLoadErrorCode, file: string, field: string | null, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${field === null ? '' : `${field}: `}${problem}`, options);
    this.code = code;
    this.file = file;
    this.field = field;
  }
}

export type InvalidOperationErrorCode = 'unknown-module' | 'invalid-attribute';

/**
 * An operation that cannot be rendered: its module does not exist or an attribute breaks the
 * module's schema. Never retryable: the desired state itself must change.
 * Message: `host host3, operation #2 "motd": attribute "path": must be an absolute path`.
 */
export class InvalidOperationError extends SimpleCmError<InvalidOperationErrorCode> {
  override readonly name = 'InvalidOperationError';
  readonly code: InvalidOperationErrorCode;
  readonly hostname: string;
  readonly seq: number;
  readonly operationName: string;
  readonly moduleName: string;
  /** The attribute at fault, or `module` for an unknown module. */
  readonly field: string;
  /** The problem alone, without the host/operation prefix. */
  readonly problem: string;

  constructor(
    code: InvalidOperationErrorCode,
    hostname: string,
    operation: Pick<Operation, 'seq' | 'name' | 'module'>,
    field: string,
    problem: string,
  ) {
    const where = describeOperation(hostname, operation);
    super(code === 'unknown-module' ? `${where}: ${problem}` : `${where}: attribute "${field}": ${problem}`);
    this.code = code;
    this.hostname = hostname;
    this.seq = operation.seq;
    this.operationName = operation.name;
    this.moduleName = operation.module;
    this.field = field;
    this.problem = problem;
  }
}
