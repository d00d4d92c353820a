/** A registry answered, and it does not have the package, image or repository (as opposed to a failure to ask). */
export class NotFoundError extends Error {
  readonly datasource: string;
  readonly packageName: string;
  constructor(datasource: string, packageName: string, message: string) {
    super(message);
    this.datasource = datasource;
    this.packageName = packageName;
  }
}

/**
 * The answer is known and must not be used: the package is found on another index than its lock records (DW405,
 * critical), or several declared indexes publish it without a common file (DW406, high). Never an update.
 */
export class IndexSelectionError extends Error {
  readonly ruleId: 'DW405' | 'DW406';
  readonly severity: 'critical' | 'high';
  readonly packageName: string;
  constructor(ruleId: 'DW405' | 'DW406', packageName: string, message: string) {
    super(message);
    this.ruleId = ruleId;
    this.severity = ruleId === 'DW405' ? 'critical' : 'high';
    this.packageName = packageName;
  }
}
