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
