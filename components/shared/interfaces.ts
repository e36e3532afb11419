/**
 * What components hand to each other. Kept in one place so the services, the proxy, mail,
 * DNS and backups can be built (and tested) separately and wired in components/coop.ts.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

/** The Docker engine a stack's containers run on, and how their names are prefixed there. */
export interface DockerHostRef {
  readonly provider: docker.Provider;
  /** Prefix of every container, network and volume name on the engine, unique per co-op and stack. */
  readonly namePrefix: string;
  readonly target: "hetzner" | "local";
}

/** How a web service is reached through the proxy (Caddy). */
export type WebRoute =
  | {
      readonly kind: "proxy";
      /** Fully qualified host name, e.g. social.example.coop. */
      readonly hostname: string;
      /** Default upstream, "container:port" on the proxy network. */
      readonly upstream: string;
      /** Path-specific upstreams (e.g. Mastodon's streaming API), matched before the default. */
      readonly paths?: ReadonlyArray<{ readonly path: string; readonly upstream: string }>;
      /** Largest request body accepted, in MiB (uploads). */
      readonly maxBodyMb?: number;
      /** Redirects answered by the proxy itself (e.g. Nextcloud's /.well-known/caldav), before proxying. */
      readonly redirects?: ReadonlyArray<{ readonly path: string; readonly to: string; readonly status?: 301 | 302 | 307 | 308 }>;
    }
  | {
      /** A fixed document, e.g. the MTA-STS policy at mta-sts.<domain>/.well-known/mta-sts.txt. */
      readonly kind: "static";
      readonly hostname: string;
      readonly path: string;
      readonly body: string;
      readonly contentType: string;
    }
  | {
      /**
       * Files of an object storage bucket served under the co-op's own name (buckets take no
       * custom domain): read-only, with the CORS and cache headers the service's web app needs.
       */
      readonly kind: "bucket";
      readonly hostname: string;
      /** The bucket's virtual-hosted name, e.g. example-media.fsn1.your-objectstorage.com. */
      readonly bucketHost: string;
      /** The web origin allowed to read the files from scripts, e.g. https://social.example.coop. */
      readonly corsOrigin: string;
      /** How long browsers and caches may keep a file, in seconds (the files never change under their name). */
      readonly maxAgeSeconds: number;
    }
  | {
      /** A name the proxy only keeps a certificate for (the mail server uses it). */
      readonly kind: "certificate";
      readonly hostname: string;
    };

/** An SMTP account a service sends its mail (sign-ups, password resets) through. */
export interface SmtpSender {
  readonly host: pulumi.Input<string>;
  readonly port: number;
  /** "starttls" on 587, "tls" (implicit) on 465. */
  readonly security: "starttls" | "tls";
  readonly username: pulumi.Input<string>;
  readonly password: pulumi.Input<string>;
  readonly fromAddress: pulumi.Input<string>;
  /**
   * Docker network to join to reach `host` when the mail server runs in the same stack: the mail
   * container carries `host` as its alias there, so the name (and its TLS certificate) matches
   * without leaving the machine. Absent when the mail server is another stack's (over the internet).
   */
  readonly network?: pulumi.Input<string>;
}

/** What the backup must save for one service, and how to keep it consistent while it does. */
export interface BackupSource {
  readonly service: string;
  /** Postgres databases to dump (streamed into the backup; a failed dump fails the backup). */
  readonly postgres: ReadonlyArray<{ readonly container: pulumi.Input<string>; readonly database: string; readonly user: string }>;
  /** Docker named volumes to copy (not a database's own data volume: a live copy of it would not restore; the dump covers it). */
  readonly volumes: ReadonlyArray<pulumi.Input<string>>;
  /** Shell commands run as root on the host before copying (e.g. Nextcloud maintenance mode on), one command per entry … */
  readonly before?: readonly string[];
  /** … and after, whether the copy succeeded, failed or was interrupted. The restore script runs them around a restore too. */
  readonly after?: readonly string[];
}
