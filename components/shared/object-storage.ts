/**
 * Hetzner Object Storage: the buckets a stack keeps media and files in.
 *
 * The hcloud provider cannot create buckets, so they are created through the S3 API with the
 * MinIO provider (@pulumi/minio), which talks plain S3 to any endpoint: here
 * `<location>.your-objectstorage.com` over TLS, signed with the location as region. Its
 * package is a few hundred kB beside @pulumi/aws's tens of MB, and it has no AWS account
 * checks (credential validation, region lists) to switch off (README "Object storage" has the
 * figures). The keys are Hetzner's S3 keys, which Hetzner creates in its Console only; they are
 * Pulumi secrets (stacks/secret-keys.ts).
 *
 * Buckets are protected and never emptied on delete: media and files outlive a mistake in the
 * spec, as the data volumes do.
 */
import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import { objectStorageEndpoint, type ObjectStorageLocation } from "../../stacks/growth";
import { checkedName } from "./naming";

export interface ObjectStorageArgs {
  readonly location: ObjectStorageLocation;
  /** Start of every bucket name; bucket names are global across Hetzner's customers. */
  readonly bucketPrefix: string;
  readonly accessKey: pulumi.Input<string>;
  readonly secretKey: pulumi.Input<string>;
}

/** What a service needs to reach a bucket. */
export interface BucketRef {
  readonly bucket: string;
  /** The S3 endpoint host, e.g. fsn1.your-objectstorage.com. */
  readonly endpointHost: string;
  /** The signing region: Hetzner takes the location. */
  readonly region: string;
  readonly accessKey: pulumi.Input<string>;
  readonly secretKey: pulumi.Input<string>;
  /** The bucket's own host name (virtual-hosted style), which the proxy sends as Host. */
  readonly bucketHost: string;
}

/**
 * The bucket policy that lets anyone read (GetObject) but not list: what Mastodon's media needs
 * to be served through the alias host, nothing more. Listing stays with the key holder.
 */
export function publicReadPolicy(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PublicReadObjects",
        Effect: "Allow",
        Principal: { AWS: ["*"] },
        Action: ["s3:GetObject"],
        Resource: [`arn:aws:s3:::${bucket}/*`],
      },
    ],
  });
}

export class ObjectStorage extends pulumi.ComponentResource {
  private readonly provider: minio.Provider;
  private readonly args: ObjectStorageArgs;
  private readonly baseName: string;

  constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coop:storage:ObjectStorage", name, {}, opts);
    this.args = args;
    this.baseName = name;
    this.provider = new minio.Provider(
      `${name}-s3`,
      {
        minioServer: objectStorageEndpoint(args.location),
        minioSsl: true,
        minioRegion: args.location,
        minioUser: args.accessKey,
        minioPassword: args.secretKey,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }

  /** A bucket named `<prefix>-<purpose>`; `publicRead` adds the read-only policy for an alias host. */
  bucket(purpose: string, publicRead: boolean): BucketRef {
    const bucket = checkedName(`${this.args.bucketPrefix}-${purpose}`);
    const opts = { parent: this, provider: this.provider };
    const b = new minio.S3Bucket(
      `${this.baseName}-${purpose}`,
      { bucket, acl: "private", forceDestroy: false },
      { ...opts, protect: true },
    );
    if (publicRead)
      new minio.S3BucketPolicy(`${this.baseName}-${purpose}-policy`, { bucket: b.bucket, policy: publicReadPolicy(bucket) }, opts);
    const endpointHost = objectStorageEndpoint(this.args.location);
    return {
      bucket,
      endpointHost,
      region: this.args.location,
      accessKey: this.args.accessKey,
      secretKey: this.args.secretKey,
      bucketHost: `${bucket}.${endpointHost}`,
    };
  }
}
