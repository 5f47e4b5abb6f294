#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens serial devices the way a modem wants them: raw 8N1, no modem-control hang-ups, no echo.
public enum SerialPort {
    /// The speeds `open` accepts.
    public static let supportedBaudRates: [Int] = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]

    /// Opens `path` raw at `baudRate` and returns the descriptor, non-blocking.
    public static func open(path: String, baudRate: Int) throws(ModemError) -> CInt {
        guard let speed = speed(for: baudRate) else {
            throw ModemError(.cannotOpen, "unsupported baud rate \(baudRate)")
        }
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        #else
        let fd = Darwin.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        #endif
        guard fd >= 0 else { throw ModemError(.cannotOpen, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard isatty(fd) == 1 else {
            Self.close(fd)
            throw ModemError(.cannotOpen, "\(path) is not a serial device (not a terminal)")
        }
        var options = termios()
        guard tcgetattr(fd, &options) == 0 else {
            let reason = String(cString: strerror(errno))
            Self.close(fd)
            throw ModemError(.cannotOpen, "cannot read the settings of \(path): \(reason)")
        }
        cfmakeraw(&options)
        cfsetispeed(&options, speed)
        cfsetospeed(&options, speed)
        options.c_cflag |= tcflag_t(CLOCAL | CREAD)
        guard tcsetattr(fd, TCSANOW, &options) == 0 else {
            let reason = String(cString: strerror(errno))
            Self.close(fd)
            throw ModemError(.cannotOpen, "cannot configure \(path): \(reason)")
        }
        tcflush(fd, TCIOFLUSH)
        return fd
    }

    /// Closes a descriptor that `open` returned and no channel took over.
    public static func close(_ fd: CInt) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    static func speed(for baudRate: Int) -> speed_t? {
        switch baudRate {
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 115200: speed_t(B115200)
        case 230400: speed_t(B230400)
        case 460800: speed_t(B460800)
        case 921600: speed_t(B921600)
        default: nil
        }
    }
}
